package dev.corral.controlplane.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.audit")
public interface AuditConfig {

    /** The topic every audit record is also published to, for SIEMs (asyncapi.yaml). */
    @WithDefault("corral.audit.v1")
    String topic();

    /**
     * A record the topic has not acknowledged this long after it was written (the broker was away, the control plane
     * stopped before the producer delivered it) is sent again by the periodic job ({@code corral.audit.republish-every}).
     */
    @WithDefault("60s")
    java.time.Duration republishAfter();

    /**
     * How long a record may wait for others to share its produce request to the topic (Kafka's {@code linger.ms}): the
     * most it adds to a record's way to a SIEM, for one request to the broker per that much time instead of per few
     * records.
     */
    @WithDefault("50ms")
    java.time.Duration linger();

    /** How often the job looks for unacknowledged records (read by AuditPublisher's {@code @Scheduled}). */
    @WithDefault("30s")
    java.time.Duration republishEvery();
}
