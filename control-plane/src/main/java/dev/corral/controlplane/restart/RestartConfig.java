package dev.corral.controlplane.restart;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.restart")
public interface RestartConfig {

    /** The wait before the first of a run of restarts under restartPolicy; each next one waits twice as long (max 5 min). */
    @WithDefault("10s")
    Duration firstDelay();
}
