package dev.corral.api;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Usage of one group (a workload, a project, or a project on one UTC day) within the report's window.
 *
 * @param runningSeconds   seconds the workloads ran
 * @param stoppedSeconds   seconds they held a placement without running (scheduled, starting, stopped, failed)
 * @param vcpuSeconds      vCPUs times running seconds
 * @param memoryGiBSeconds GiB of memory times running seconds
 * @param diskGiBSeconds   GiB of provisioned disk (boot disk and volumes) times seconds held (running or stopped: the
 *                         disks exist either way, from the VM's first lifecycle event until its {@code deleted} one)
 * @param deviceSeconds    per device class, devices times seconds held (running or stopped: an assigned device
 *                         is reserved either way)
 * @param flags            why some of this figure is inferred rather than seen, e.g. {@code NoStartEvent}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UsageRecord(String project, String kind, String name, String uid, LocalDate day, double runningSeconds,
        double stoppedSeconds, double vcpuSeconds, double memoryGiBSeconds, double diskGiBSeconds, Map<String, Double> deviceSeconds,
        List<String> flags) {
}
