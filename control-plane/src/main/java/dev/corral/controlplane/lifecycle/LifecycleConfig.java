package dev.corral.controlplane.lifecycle;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.lifecycle")
public interface LifecycleConfig {

    /** The topic node agents publish lifecycle events to. */
    @WithDefault("corral.lifecycle.v1")
    String topic();

    /** The consumer group of the control plane's status updater (all replicas share it). */
    @WithDefault("corral-control-plane-status")
    String groupId();

    /** Partitions of the topic when the control plane creates it. */
    @WithDefault("6")
    int partitions();

    /**
     * Most events one poll applies (in transactions of up to 250 workloads each): 2,000 rather than Kafka's 500 let
     * the status keep up with 40,000 events a second on 2 cores (bench/usage) and with 4,500-6,000 events a second for
     * workloads that exist (bench/status; 4,200 with 500 in one run).
     */
    @WithDefault("2000")
    int maxPollRecords();

    /** Replication factor of the topic when the control plane creates it (1 for a single local broker). */
    @WithDefault("1")
    short replicationFactor();
}
