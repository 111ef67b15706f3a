package dev.corral.api;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A project's quota: its limits and what its workloads hold against them. Every VM and container of the project
 * counts from its create to its delete, whatever its phase: its vCPUs (a container's fractional cpus as they are),
 * its memory, one instance, and the devices it asks for, by class.
 *
 * @param project the project
 * @param limits  the limits; a field that is absent has no limit
 * @param used    what the project's workloads hold now
 */
public record Quota(String project, Limits limits, Usage used) {

    /**
     * Limits; each absent one is unlimited. Also the body of {@code PUT /v1/projects/{name}/quota}, which replaces
     * them all.
     *
     * @param vcpus     vCPUs of all VMs and containers together
     * @param memoryMiB memory of all of them, in MiB
     * @param instances how many VMs and containers
     * @param devices   devices by class ({@code gpu}, {@code network}, ...); a class not named is unlimited
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Limits(Integer vcpus, Long memoryMiB, Integer instances, Map<String, Integer> devices) {
    }

    /** What is held: vCPUs (fractions from containers), MiB, instances, and devices by class (classes in use or limited). */
    public record Usage(double vcpus, long memoryMiB, int instances, Map<String, Integer> devices) {
    }
}
