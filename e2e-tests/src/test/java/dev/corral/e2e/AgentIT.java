package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.cli.Corral;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node agent on this host registers it with a real control plane, heartbeats, and is missed when killed. */
class AgentIT {

    private static ControlPlaneProcess controlPlane;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startControlPlane() throws Exception {
        controlPlane = ControlPlaneProcess.start(Map.of("CORRAL_SCHEDULER_NODE_HEARTBEAT_TIMEOUT", "6s"));
    }

    @AfterAll
    static void stopControlPlane() throws Exception {
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    private static JsonNode node(String name) throws Exception {
        var out = new StringWriter();
        int exit = Corral.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), "get", "node", name, "-o", "json",
                "--server", controlPlane.server.toString(), "--token", controlPlane.adminToken);
        return exit == 0 ? new ObjectMapper().readTree(out.toString()) : null;
    }

    private static JsonNode awaitNode(String name, Duration timeout, Predicate<JsonNode> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = node(name);
            if (last != null && condition.test(last)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("node " + name + " never got there; last seen: " + last);
    }

    @Test
    void agentRegistersThisHostHeartbeatsAndIsMarkedNotReadyWhenKilled() throws Exception {
        String name = "e2e-" + ProcessHandle.current().pid();
        try (var agent = AgentProcess.start(controlPlane, name, tmp, kafka())) {
            var node = awaitNode(name, Duration.ofSeconds(90), n -> "Ready".equals(n.path("status").path("phase").asText()));
            int onlineCpus = countCpus(Files.readString(Path.of("/sys/devices/system/cpu/online")).strip());
            assertThat(node.path("status").path("capacity").path("vcpus").asInt()).isEqualTo(onlineCpus);
            assertThat(node.path("status").path("capacity").path("memoryMiB").asLong()).isPositive();
            assertThat(node.path("status").path("accelerator").asText()).isIn("kvm-hardware", "kvm-pvm", "emulated-only");
            assertThat(node.path("metadata").path("labels").path("corral.dev/hostname").asText()).isNotBlank();

            // Still Ready well past the heartbeat timeout: the agent is heartbeating.
            Thread.sleep(8000);
            assertThat(node(name).path("status").path("phase").asText()).isEqualTo("Ready");

            // A VM placed on this node (the only one) learns when the node goes silent.
            Path kernel = Files.writeString(tmp.resolve("kernel"), "kernel for " + name);
            String sha = cli("upload", kernel.toString()).strip().split(" ")[0].substring("sha256:".length());
            String manifest = "apiVersion: corral/v1\nkind: Image\nmetadata: {name: img}\nspec: {kernel: {sha256: " + sha + "}}\n";
            assertThat(piped(manifest, "apply", "-f", "-")).isEqualTo("image/img created\n");
            assertThat(cli("create", "vm", "on-" + name, "--image", "img", "--cpus", "1", "--memory", "64Mi")).contains("created");
            assertThat(cli("get", "vm", "on-" + name, "-o", "json")).contains("\"node\" : \"" + name + "\"");

            agent.kill();
            var down = awaitNode(name, Duration.ofSeconds(30), n -> "NotReady".equals(n.path("status").path("phase").asText()));
            assertThat(down.path("status").path("conditions").get(0).path("reason").asText()).isEqualTo("HeartbeatTimeout");
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            String vm = "";
            while (System.nanoTime() < deadline && !vm.contains("NodeNotReady")) {
                vm = cli("get", "vm", "on-" + name, "-o", "json");
                Thread.sleep(250);
            }
            assertThat(vm).contains("\"type\" : \"NodeReady\"").contains("\"reason\" : \"NodeNotReady\"");
        }
        // A new agent on the same host brings the node back.
        try (var again = AgentProcess.start(controlPlane, name, tmp, kafka())) {
            awaitNode(name, Duration.ofSeconds(90), n -> "Ready".equals(n.path("status").path("phase").asText()));
            // The agent logs the registration once the control plane has answered: wait for the line.
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() < until && !Files.readString(again.log).contains("Registered node " + name)) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(again.log)).contains("Registered node " + name);
        }
    }

    private static Map<String, String> kafka() throws Exception {
        return Map.of("CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", controlPlane.kafkaBootstrapServers());
    }

    private static String cli(String... args) {
        return piped("", args);
    }

    private static String piped(String stdin, String... args) {
        var out = new StringWriter();
        var all = new java.util.ArrayList<>(java.util.List.of(args));
        all.add("--server");
        all.add(controlPlane.server.toString());
        all.add("--token");
        all.add(controlPlane.adminToken);
        Corral.execute(new java.io.ByteArrayInputStream(stdin.getBytes()), new PrintWriter(out), new PrintWriter(new StringWriter()),
                all.toArray(String[]::new));
        return out.toString();
    }

    private static int countCpus(String online) {
        int count = 0;
        for (String range : online.split(",")) {
            String[] ends = range.split("-");
            count += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
        }
        return count;
    }
}
