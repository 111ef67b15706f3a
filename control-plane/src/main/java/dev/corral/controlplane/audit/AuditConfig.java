package dev.corral.controlplane.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.audit")
public interface AuditConfig {

    /** The topic every audit record is also published to, for SIEMs (asyncapi.yaml). */
    @WithDefault("corral.audit.v1")
    String topic();
}
