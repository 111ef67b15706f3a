package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An amount of compute: vCPUs (fractions allowed for containers) and memory in MiB; for a VM's status also the disk
 * space it is provisioned (its boot disk's and volumes' sizes as the guest sees them, in GiB; null when it has none).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Resources(double vcpus, long memoryMiB, Long diskGiB) {

    /** Compute only. */
    public Resources(double vcpus, long memoryMiB) {
        this(vcpus, memoryMiB, null);
    }
}
