package dev.corral.controlplane.console;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "corral.console")
public interface ConsoleConfig {

    /** How long connecting to a node agent may take before its console counts as unreachable (503). */
    @WithDefault("5s")
    Duration agentConnectTimeout();

    /**
     * How long the agent may take to start answering once connected. A followed console only has to start within
     * this time; it then streams for as long as both sides keep it open.
     */
    @WithDefault("10s")
    Duration agentResponseTimeout();

    /**
     * The CA certificates (a PEM file) that sign the agents' own certificates, for agents whose endpoint is https
     * ({@code CORRAL_TLS_AGENT_CA}). Only these are trusted then; without it, the JDK's trust store. Host names are
     * verified either way.
     */
    Optional<Path> agentCa();
}
