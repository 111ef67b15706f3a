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

    /** Replication factor of the topic when the control plane creates it (1 for a single local broker). */
    @WithDefault("1")
    short replicationFactor();
}
