package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.cli.Corral;
import dev.corral.embedded.EmbeddedKafka;
import dev.corral.embedded.FreePorts;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first end-to-end slice, the way a user runs it: a real control plane (embedded PostgreSQL, a real Kafka broker),
 * a real node agent process, and a real guest (the ticker, built from source) run by Corral's engine on this host.
 * Create → Running with heartbeats on the console → stop → Stopped → delete, and the topic holds that VM's events in
 * sequence; an agent killed with SIGKILL while its VM runs; a broker that goes away and comes back.
 */
class VmLifecycleIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ControlPlaneProcess controlPlane;
    private static Path ticker;
    /** The broker runs in this JVM (not embedded in the control plane), so that a test can stop and restart it. */
    private static EmbeddedKafka kafka;
    private static Path kafkaData;
    private static int brokerPort;
    private static int controllerPort;
    private static String bootstrap;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        kafkaData = Files.createTempDirectory("corral-e2e-kafka-");
        brokerPort = FreePorts.pick();
        controllerPort = FreePorts.pick();
        kafka = EmbeddedKafka.startPersistent(kafkaData, brokerPort, controllerPort);
        bootstrap = "127.0.0.1:" + brokerPort;
        controlPlane = ControlPlaneProcess.start(Map.of("CORRAL_SCHEDULER_NODE_HEARTBEAT_TIMEOUT", "6s",
                "CORRAL_RESTART_FIRST_DELAY", "1s", "KAFKA_BOOTSTRAP_SERVERS", bootstrap));
        ticker = Files.createTempDirectory("corral-ticker-").resolve("ticker");
        var build = new ProcessBuilder("bash", "../deploy/guests/ticker/build.sh", ticker.toString()).redirectErrorStream(true).start();
        String out = new String(build.getInputStream().readAllBytes());
        assertThat(build.waitFor()).as("building the ticker guest: " + out).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (controlPlane != null) {
            controlPlane.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private AgentProcess agent(String node) throws Exception {
        return agent(node, "auto");
    }

    /** An agent whose VMs run by {@code accelerator} (corral.agent.accelerator). */
    private AgentProcess agent(String node, String accelerator) throws Exception {
        return AgentProcess.start(controlPlane, node, tmp, Map.of(
                "CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", bootstrap, "CORRAL_AGENT_ACCELERATOR", accelerator,
                "CORRAL_AGENT_RESYNC_INTERVAL", "10s", "QUARKUS_LOG_CATEGORY__DEV_CORRAL__LEVEL", "DEBUG"));
    }

    /** Every test works in the default project, with names of its own. */
    private static String project() {
        return "default";
    }

    @Test
    void vmRunsWithItsConsoleStopsAndIsDeletedAndTheTopicHoldsItsEventsInSequence() throws Exception {
        String node = "vm-" + ProcessHandle.current().pid();
        String project = project();
        // Where the host has /dev/kvm (hardware or kvm_pvm), this agent is told to run its VMs under KVM, so a VM made
        // through the API runs under KVM and shows the console it shows on the software CPU (the other tests' agents
        // run with auto, which is the software CPU on kvm_pvm hosts).
        boolean kvm = Files.exists(Path.of("/dev/kvm"));
        try (var agent = agent(node, kvm ? "kvm" : "auto")) {
            awaitNodeReady(node);
            createTickerImage(project, "interval=300", "ticker-a");
            var created = cli("create", "vm", "tick-1", "-p", project, "--image", "ticker-a", "--cpus", "1", "--memory", "64Mi");
            assertThat(created.out).contains("vm/tick-1 created");

            var running = awaitVm(project, "tick-1", Duration.ofSeconds(120), vm -> phase(vm).equals("Running"), agent);
            String uid = running.path("metadata").path("uid").asText();
            assertThat(running.path("status").path("node").asText()).isEqualTo(node);
            var nodeJson = cli("get", "node", node, "-o", "json");
            assertThat(nodeJson.exit).as(nodeJson.err).isZero();
            String hostAccelerator = JSON.readTree(nodeJson.out).path("status").path("accelerator").asText();
            if (kvm) {
                assertThat(hostAccelerator).isIn("kvm-hardware", "kvm-pvm");
            } else {
                assertThat(hostAccelerator).isEqualTo("emulated-only");
            }
            assertThat(running.path("status").path("accelerator").asText())
                    .as("the VM's status says what runs it, on a %s node", hostAccelerator)
                    .isEqualTo(kvm ? "kvm" : "emulated");

            // The console shows the guest booting and ticking: read it through the control plane, as users do.
            String console = awaitConsole(project, "tick-1", "tick 3", Duration.ofSeconds(60));
            assertThat(console).contains("corral ticker: booted");
            var logs = cli("logs", "vm/tick-1", "-p", project, "--tail", "1");
            assertThat(logs.exit).as(logs.err).isZero();
            assertThat(logs.out).startsWith("tick ");

            var stopped = cli("stop", "vm/tick-1", "-p", project, "--wait", "--timeout", "60s");
            assertThat(stopped.exit).as(stopped.err).isZero();
            assertThat(phase(vm(project, "tick-1"))).isEqualTo("Stopped");

            assertThat(cli("delete", "vm/tick-1", "-p", project).out).contains("vm/tick-1 deleted");

            var events = topicEvents(uid, "deleted", Duration.ofSeconds(60));
            var types = events.stream().map(e -> e.path("type").asText()).toList();
            assertThat(types).containsExactly("corral.vm.starting", "corral.vm.running", "corral.vm.stopping", "corral.vm.stopped",
                    "corral.vm.deleted");
            for (int i = 0; i < events.size(); i++) {
                var data = events.get(i).path("data");
                assertThat(data.path("sequence").asLong()).as("sequence without gaps").isEqualTo(i + 1);
                assertThat(data.path("node").asText()).isEqualTo(node);
                assertThat(data.path("project").asText()).isEqualTo(project);
                assertThat(data.path("memoryMiB").asLong()).isEqualTo(64);
                assertThat(events.get(i).path("id").asText()).isEqualTo(uid + "-" + (i + 1));
            }
            assertThat(events.get(3).path("data").path("reason").asText()).isEqualTo("StopRequested");
            assertThat(events.get(1).path("data").path("accelerator").asText()).isEqualTo(running.path("status").path("accelerator").asText());
        } finally {
            retire(node);
        }
    }

    /** Nothing more is placed on the node: the next test's agent is another node, and this one is only slowly missed. */
    private static void retire(String node) {
        cli("cordon", "node/" + node);
    }

    @Test
    void guestThatPowersOffIsRestartedUnderItsPolicyAndAKilledAgentNeverLeavesItRunning() throws Exception {
        String node = "kill-" + ProcessHandle.current().pid();
        String project = project();
        String uid;
        try (var agent = agent(node)) {
            awaitNodeReady(node);
            // Powers itself off after two ticks: restartPolicy Always brings it back, and the restart is recorded.
            createTickerImage(project, "interval=200 ticks=2", "ticker-b");
            var manifest = """
                    apiVersion: corral/v1
                    kind: VM
                    metadata: {name: tick-2}
                    spec: {image: ticker-b, vcpus: 1, memoryMiB: 64, restartPolicy: Always}
                    """;
            var applied = piped(manifest, "apply", "-f", "-", "-p", project);
            assertThat(applied.out).as(applied.err).contains("vm/tick-2 created");
            var restarted = awaitVm(project, "tick-2", Duration.ofSeconds(120),
                    vm -> vm.path("status").path("restart").path("count").asInt() >= 1 && phase(vm).equals("Running"), agent);
            uid = restarted.path("metadata").path("uid").asText();
            var reasons = topicEvents(uid, null, Duration.ofSeconds(30)).stream().map(e -> e.path("data").path("reason").asText("")).toList();
            assertThat(reasons).contains("GuestPoweredOff");

            // Now a VM that runs until asked, and the agent dies under it.
            createTickerImage(project, "interval=200", "forever");
            assertThat(cli("create", "vm", "tick-3", "-p", project, "--image", "forever", "--cpus", "1", "--memory", "64Mi").out)
                    .contains("created");
            awaitVm(project, "tick-3", Duration.ofSeconds(120), vm -> phase(vm).equals("Running"), agent);
            agent.kill();
        }
        // The control plane misses the node and stops claiming the VM runs.
        var unknown = awaitVm(project, "tick-3", Duration.ofSeconds(60), vm -> phase(vm).equals("Unknown"), null);
        assertThat(unknown.toString()).contains("NodeNotReady");

        // A new agent on the node knows the VM died with the old one; the default policy (OnFailure) restarts it, at
        // once and without counting it as a crash (the agent, not the guest, failed).
        try (var again = agent(node)) {
            var back = awaitVm(project, "tick-3", Duration.ofSeconds(120),
                    vm -> phase(vm).equals("Running") && "AgentRestarted".equals(vm.path("status").path("restart").path("reason").asText()), again);
            assertThat(back.path("status").path("restart").path("count").asInt()).isZero();
            String tick3 = back.path("metadata").path("uid").asText();
            var reasons = topicEvents(tick3, null, Duration.ofSeconds(30)).stream().map(e -> e.path("data").path("reason").asText("")).toList();
            assertThat(reasons).contains("AgentRestarted");
            var sequences = topicEvents(tick3, null, Duration.ofSeconds(30)).stream().map(e -> e.path("data").path("sequence").asLong()).toList();
            for (int i = 0; i < sequences.size(); i++) {
                assertThat(sequences.get(i)).as("sequences continue across the agent's restart").isEqualTo(i + 1);
            }
        } finally {
            retire(node);
        }
    }

    @Test
    void eventsWaitOutABrokerOutageInTheAgentsJournalAndArriveInOrder() throws Exception {
        String node = "outage-" + ProcessHandle.current().pid();
        String project = project();
        try (var agent = agent(node)) {
            awaitNodeReady(node);
            createTickerImage(project, "interval=500", "ticker-c");
            assertThat(cli("create", "vm", "tick-4", "-p", project, "--image", "ticker-c", "--cpus", "1", "--memory", "64Mi").out)
                    .contains("created");
            String uid = awaitVm(project, "tick-4", Duration.ofSeconds(120), vm -> phase(vm).equals("Running"), agent)
                    .path("metadata").path("uid").asText();

            kafka.close();
            var stop = cli("stop", "vm/tick-4", "-p", project);
            assertThat(stop.exit).as(stop.err).isZero();
            // The agent stops the guest and journals what happened; nothing reaches the control plane meanwhile.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.readString(agent.log).contains("they wait in the journal") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(Files.readString(agent.log)).contains("they wait in the journal");
            assertThat(phase(vm(project, "tick-4"))).as("no event can have arrived").isEqualTo("Running");

            kafka = EmbeddedKafka.startPersistent(kafkaData, brokerPort, controllerPort);
            awaitVm(project, "tick-4", Duration.ofSeconds(120), vm -> phase(vm).equals("Stopped"), agent);
            var events = topicEvents(uid, "stopped", Duration.ofSeconds(60));
            assertThat(events.stream().map(e -> e.path("type").asText()).toList()).containsExactly("corral.vm.starting",
                    "corral.vm.running", "corral.vm.stopping", "corral.vm.stopped");
            for (int i = 0; i < events.size(); i++) {
                assertThat(events.get(i).path("data").path("sequence").asLong()).isEqualTo(i + 1);
            }
        } finally {
            retire(node);
        }
    }

    // --- helpers ---

    private void createTickerImage(String project, String cmdline, String name) throws Exception {
        var upload = cli("upload", ticker.toString());
        assertThat(upload.exit).as(upload.err).isZero();
        String sha = upload.out.strip().split(" ")[0].substring("sha256:".length());
        var manifest = "apiVersion: corral/v1\nkind: Image\nmetadata: {name: " + name + "}\nspec: {kernel: {sha256: " + sha
                + "}, cmdline: \"" + cmdline + "\"}\n";
        var applied = piped(manifest, "apply", "-f", "-", "-p", project);
        assertThat(applied.exit).as(applied.err).isZero();
    }

    private static String phase(JsonNode vm) {
        return vm == null ? "" : vm.path("status").path("phase").asText();
    }

    private static JsonNode vm(String project, String name) throws Exception {
        var r = cli("get", "vm", name, "-p", project, "-o", "json");
        return r.exit == 0 ? JSON.readTree(r.out) : null;
    }

    private static JsonNode awaitVm(String project, String name, Duration timeout, Predicate<JsonNode> condition, AgentProcess agent)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = vm(project, name);
            if (last != null && condition.test(last)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("VM " + name + " never got there; last seen: " + last
                + (agent == null ? "" : "\nagent log:\n" + Files.readString(agent.log)));
    }

    private static void awaitNodeReady(String node) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            var r = cli("get", "node", node, "-o", "json");
            if (r.exit == 0 && JSON.readTree(r.out).path("status").path("phase").asText().equals("Ready")) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("node " + node + " never became Ready");
    }

    private static String awaitConsole(String project, String name, String text, Duration timeout) throws Exception {
        var http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            var response = http.send(HttpRequest.newBuilder(URI.create(controlPlane.server + "/v1/vms/" + name + "/console?project=" + project))
                    .header("Authorization", "Bearer " + controlPlane.adminToken)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            last = response.statusCode() + " " + response.body();
            if (response.statusCode() == 200 && response.body().contains(text)) {
                return response.body();
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the console never showed '" + text + "'; last: " + last);
    }

    /** The workload's events on the topic, in order, once one of type {@code until} arrived (or after the timeout). */
    private static List<JsonNode> topicEvents(String uid, String until, Duration timeout) throws Exception {
        var events = new ArrayList<JsonNode>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("corral.lifecycle.v1"));
            long deadline = System.nanoTime() + timeout.toNanos();
            long quietSince = System.nanoTime();
            while (System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(500));
                for (var r : records) {
                    if (uid.equals(r.key())) {
                        events.add(JSON.readTree(r.value()));
                        quietSince = System.nanoTime();
                    }
                }
                boolean done = until != null
                        ? events.stream().anyMatch(e -> e.path("type").asText().endsWith("." + until))
                        : !events.isEmpty() && System.nanoTime() - quietSince > Duration.ofSeconds(3).toNanos();
                if (done) {
                    break;
                }
            }
        }
        return events;
    }

    record Result(int exit, String out, String err) {
    }

    private static Result cli(String... args) {
        return piped("", args);
    }

    private static Result piped(String stdin, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add(controlPlane.server.toString());
        all.add("--token");
        all.add(controlPlane.adminToken);
        int exit = Corral.execute(new ByteArrayInputStream(stdin.getBytes()), new PrintWriter(out), new PrintWriter(err),
                all.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }
}
