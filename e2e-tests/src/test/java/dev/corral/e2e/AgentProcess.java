package dev.corral.e2e;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The node agent as a process, pointed at a control plane, with a fast heartbeat. */
final class AgentProcess implements AutoCloseable {

    private final Process process;
    final Path log;
    /** The plain HTTP port it was given (CORRAL_AGENT_HTTP_PORT). */
    final int httpPort;

    private AgentProcess(Process process, Path log, int httpPort) {
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
    }

    static AgentProcess start(ControlPlaneProcess controlPlane, String nodeName, Path logDir) throws Exception {
        return start(controlPlane, nodeName, logDir, java.util.Map.of());
    }

    /**
     * An agent for node {@code nodeName} with a node token of its own (in its state directory, as run.sh does it).
     *
     * @param env extra environment, e.g. the Kafka bootstrap servers
     */
    static AgentProcess start(ControlPlaneProcess controlPlane, String nodeName, Path logDir, java.util.Map<String, String> env)
            throws Exception {
        Path tokenFile = logDir.resolve("node-token-" + nodeName);
        Files.writeString(tokenFile, controlPlane.nodeToken(nodeName) + "\n");
        var all = new java.util.HashMap<>(env);
        all.putIfAbsent("CORRAL_AGENT_TOKEN_FILE", tokenFile.toString());
        return start(controlPlane.server, nodeName, logDir, all);
    }

    private static AgentProcess start(URI controlPlane, String nodeName, Path logDir, java.util.Map<String, String> env) throws Exception {
        Path app = Path.of(System.getProperty("corral.agentApp", "../node-agent/target/quarkus-app/quarkus-run.jar"));
        if (!Files.exists(app)) {
            throw new IllegalStateException(app + " is missing: build the node agent first (./mvnw package runs it before these tests)");
        }
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = logDir.resolve("agent-" + System.nanoTime() + ".log");
        // The agent's own JVM options (node-agent/jvm.options), as deploy/local/run.sh starts it.
        Path options = Path.of(System.getProperty("corral.agentJvmOptions", "../node-agent/jvm.options"));
        if (!Files.exists(options)) {
            throw new IllegalStateException(options + " is missing: the node agent's JVM options live in node-agent/jvm.options");
        }
        var builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "@" + options, "-jar",
                app.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("CORRAL_AGENT_HTTP_PORT", String.valueOf(port));
        builder.environment().put("CORRAL_AGENT_CONTROL_PLANE_URL", controlPlane.toString());
        builder.environment().put("CORRAL_AGENT_NODE_NAME", nodeName);
        builder.environment().put("CORRAL_AGENT_HEARTBEAT_INTERVAL", "1s");
        builder.environment().put("CORRAL_AGENT_STATE_DIR", logDir.resolve("agent-state").toString());
        builder.environment().putAll(env);
        return new AgentProcess(builder.start(), log, port);
    }

    /** SIGKILL: the agent gets no chance to say goodbye. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
