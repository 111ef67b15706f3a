package dev.corral.agent;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The node agent's settings ({@code corral.agent.*}, or {@code CORRAL_AGENT_*} in the environment). */
@ConfigMapping(prefix = "corral.agent")
public interface AgentConfig {

    /** Where the control plane's API answers. */
    @WithDefault("http://127.0.0.1:8080")
    URI controlPlaneUrl();

    /** The name this node registers under; the host name when unset. */
    Optional<String> nodeName();

    /** Where the agent keeps its state (image cache, event buffer, consoles). */
    @WithDefault("${user.home}/.corral/agent")
    Path stateDir();

    /** How often the agent tells the control plane it is alive (the control plane marks silent nodes NotReady). */
    @WithDefault("10s")
    java.time.Duration heartbeatInterval();

    /** The root that host inventory (sysfs, procfs, /dev) is read from; another root replays a recorded host. */
    @WithDefault("/")
    Path hostRoot();
}
