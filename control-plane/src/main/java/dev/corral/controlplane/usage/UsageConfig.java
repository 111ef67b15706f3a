package dev.corral.controlplane.usage;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.usage")
public interface UsageConfig {

    /** Whether this control plane runs the usage meter (one consumer group; replicas share the partitions). */
    @WithDefault("true")
    boolean enabled();

    /** The meter's consumer group; its positions live in PostgreSQL (usage_offset), not in Kafka. */
    @WithDefault("corral-usage-meter")
    String groupId();

    /**
     * How long an event waits for an earlier one of its workload that has not arrived before the meter applies it
     * over the gap and flags the interval {@code SequenceGap}.
     */
    @WithDefault("5m")
    Duration gapGrace();

    /** Records per batch (one transaction each). */
    @WithDefault("5000")
    int maxPollRecords();
}
