package dev.corral.api;

/** An amount of compute: vCPUs (fractions allowed for containers) and memory in MiB. */
public record Resources(double vcpus, long memoryMiB) {
}
