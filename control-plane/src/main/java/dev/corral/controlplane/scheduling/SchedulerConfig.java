package dev.corral.controlplane.scheduling;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.scheduler")
public interface SchedulerConfig {

    /** vCPUs handed out per physical vCPU of a node. */
    @WithDefault("4.0")
    double cpuAllocationRatio();

    /** MiB handed out per MiB of a node's memory. */
    @WithDefault("1.0")
    double memoryAllocationRatio();

    /** {@code spread} (least allocated node first) or {@code pack} (most allocated that still fits). */
    @WithDefault("spread")
    Strategy strategy();

    /** How often pending workloads are retried, besides the retries that node and workload changes trigger. */
    @WithDefault("5s")
    java.time.Duration retryInterval();

    /** How many Pending workloads a retry reads per query; it reads them all, a page at a time. */
    @WithDefault("1000")
    int retryPageSize();

    /** A node whose agent has not heartbeated for this long becomes NotReady. */
    @WithDefault("40s")
    java.time.Duration nodeHeartbeatTimeout();

    enum Strategy { spread, pack }
}
