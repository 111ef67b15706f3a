package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.embedded.FreePorts;
import org.junit.jupiter.api.Test;

/**
 * The local cloud as the README runs it ({@code deploy/local/run.sh}, without its build and with the ticker image
 * only), crashed during a storm of creates: in CI three ways, kill -9 of the control plane, of the node agent, of the
 * embedded PostgreSQL. Each time {@code run.sh} must notice, stop the rest and exit non-zero with the reason; run
 * again, it must bring the whole cloud back by itself: healthy, the node Ready, every create it acknowledged (201)
 * there exactly once, retries with the same Idempotency-Key answered as the first try was, the VMs that should run
 * running again under their restartPolicy at once and uncounted (AgentStopped, AgentRestarted), and usage exact: what
 * {@code GET /v1/usage} reports for every workload equals, to the millisecond, what the lifecycle events in the broker
 * imply ({@link LifecycleUsage}), after the tail of the topic was delivered once more as a crashed agent's journal
 * does. Last, a normal stop exits 0 and logs no ERROR.
 *
 * <p>{@code -Dcorral.crash.rounds=N} runs N rounds instead, going round every way to crash it, the two above that
 * CI leaves out included: kill -9 of everything at once (run.sh, control plane, agent, PostgreSQL) and of run.sh
 * alone (its children run on, the next run.sh must stop them). About 45 s a round on 2 cores: by hand, not in CI.
 */
class CrashRecoveryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STORM = 30;
    /** The start of every usage window: before anything this test did. */
    private static final Instant EPOCH_OF_TEST = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.SECONDS);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String node = "crash-" + ProcessHandle.current().pid();
    private final int apiPort = FreePorts.pick();
    private final int kafkaPort = FreePorts.pick();
    private final int agentPort = FreePorts.pick();
    private final URI api = URI.create("http://127.0.0.1:" + apiPort);
    private Path data;
    private Process cloud;
    private Path log;
    private int runs;

    @Test
    void theLocalCloudComesBackFromKill9OfEachProcessAndLosesNoAcknowledgedCreate() throws Exception {
        data = Files.createTempDirectory("corral-crash-");
        try {
            start();
            assertThat(post(vm("tick", "Running"), "tick").statusCode()).isEqualTo(201);
            awaitRunningSince(Instant.EPOCH, null);
            assertUsageExact("the first start");

            int rounds = Integer.getInteger("corral.crash.rounds", 0);
            var victims = rounds == 0 ? List.of(Victim.CONTROL_PLANE, Victim.AGENT, Victim.POSTGRES)
                    : java.util.stream.IntStream.range(0, rounds).mapToObj(i -> Victim.values()[i % Victim.values().length]).toList();
            for (int round = 1; round <= victims.size(); round++) {
                crashDuringStorm(round, victims.get(round - 1));
            }

            // A normal stop: everything stops, exit 0, and nothing on the way logs an ERROR.
            cloud.destroy();
            assertThat(cloud.waitFor(60, TimeUnit.SECONDS)).as("run.sh stops within a minute").isTrue();
            assertThat(cloud.exitValue()).isZero();
            assertThat(Files.readAllLines(log)).filteredOn(l -> l.contains(" ERROR ") || l.contains("Exception")).isEmpty();
            assertNothingLeftRunning();
        } finally {
            cleanUp();
        }
    }

    /** What a round kills, and what the VMs' agent then says about them. */
    private enum Victim {
        CONTROL_PLANE("control plane", "AgentStopped"),
        AGENT("node agent", "AgentRestarted"),
        POSTGRES("PostgreSQL", "AgentStopped"),
        /** run.sh, the control plane, the agent and PostgreSQL at once, as a crash of the session that ran them would. */
        ALL("whole cloud", "AgentRestarted"),
        /** run.sh alone: what it started runs on, and the next run.sh stops it (the agent drains). */
        RUN_SH("run.sh script", "AgentStopped");

        final String what;
        final String restartReason;

        Victim(String what, String restartReason) {
            this.what = what;
            this.restartReason = restartReason;
        }
    }

    private void crashDuringStorm(int round, Victim victim) throws Exception {
        var pids = switch (victim) {
            case CONTROL_PLANE -> List.of(pidFile("control-plane"));
            case AGENT -> List.of(pidFile("agent"));
            case POSTGRES -> List.of(postgresPid());
            case ALL -> List.of(cloud.pid(), pidFile("control-plane"), pidFile("agent"), postgresPid());
            case RUN_SH -> List.of(cloud.pid());
        };
        var attempts = new CopyOnWriteArrayList<Attempt>();
        var started = new CountDownLatch(STORM / 3);
        var sends = new ArrayList<CompletableFuture<?>>();
        for (int i = 0; i < STORM; i++) {
            String name = "storm-" + round + "-" + i;
            // Stopped: the storm fills the node's placements, and only the ticker has to run.
            String body = vm(name, "Stopped");
            sends.add(http.sendAsync(request(body, name), HttpResponse.BodyHandlers.ofString()).handle((r, failure) -> {
                attempts.add(new Attempt(name, body, r == null ? -1 : r.statusCode()));
                started.countDown();
                return null;
            }));
        }
        // Some creates answered, others in flight: now.
        started.await(60, TimeUnit.SECONDS);
        long killed = System.nanoTime();
        pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

        assertThat(cloud.waitFor(90, TimeUnit.SECONDS)).as("run.sh notices that the " + victim.what + " died and stops the rest").isTrue();
        System.out.printf("CrashRecoveryIT: round %d, run.sh %d exited %.1f s after kill -9 of the %s%n", round, runs,
                (System.nanoTime() - killed) / 1e9, victim.what);
        switch (victim) {
            case CONTROL_PLANE -> assertStoppedBecause("the control plane (pid %d) exited with status 137".formatted(pids.getFirst()));
            case AGENT -> assertStoppedBecause("the node agent (pid %d) exited with status 137".formatted(pids.getFirst()));
            case POSTGRES -> assertStoppedBecause(
                    "Stopping the control plane: the embedded PostgreSQL server (pid %d) exited".formatted(pids.getFirst()));
            case ALL -> {
                for (long pid : pids) {
                    awaitGone(pid);
                }
                assertPortsFree();
            }
            case RUN_SH -> assertThat(ProcessHandle.of(pidFile("control-plane")).map(ProcessHandle::isAlive))
                    .as("the control plane runs on without its run.sh").contains(true);
        }

        Instant restarted = Instant.now();
        start();
        if (victim == Victim.RUN_SH) {
            assertThat(Files.readString(log)).contains("Stopping the node agent", "Stopping the control plane");
        }
        var acknowledged = attempts.stream().filter(a -> a.status == 201).map(a -> a.name).toList();
        assertThat(acknowledged).as("some creates were acknowledged before the " + victim.what + " died").isNotEmpty();
        var vms = vmCounts();
        for (String name : acknowledged) {
            assertThat(vms.get(name)).as(name + " was acknowledged with 201 before the " + victim.what + " died").isEqualTo(1);
        }
        // Retries with the same key: the acknowledged ones answer as before, the lost ones are created now.
        for (var a : attempts) {
            assertThat(post(a.body, a.name).statusCode()).as("retry of " + a.name).isEqualTo(201);
        }
        vms = vmCounts();
        for (var a : attempts) {
            assertThat(vms.get(a.name)).as(a.name + " after its retry").isEqualTo(1);
        }
        var health = http.send(HttpRequest.newBuilder(api.resolve("/q/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).path("status").asText()).isEqualTo("UP");
        assertThat(get("/v1/nodes/" + node).path("status").path("phase").asText()).isEqualTo("Ready");
        awaitRunningSince(restarted, victim.restartReason);
        assertUsageExact("round " + round + " (kill -9 of the " + victim.what + ")");
    }

    private void assertStoppedBecause(String reason) throws Exception {
        assertThat(cloud.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log)).contains(reason);
        assertNothingLeftRunning();
    }

    /**
     * Usage is exact: for every workload, {@code GET /v1/usage?groupBy=workload} over a window that ends now equals,
     * to the millisecond, what the lifecycle topic implies, read with a plain consumer: nothing lost. Then events are
     * sent again as an agent's journal does after a crash (each workload's last stop, now older than its restart), and
     * usage must still be exact: nothing counted twice. The meter catches up within moments of a restart (after a
     * killed control plane, its consumer group waits out the old member's 10 s session); a figure that stays
     * different fails.
     */
    private void assertUsageExact(String when) throws Exception {
        String kafka = "127.0.0.1:" + kafkaPort;
        var truth = awaitUsageAgrees(kafka, when);
        int resent = LifecycleUsage.redeliver(kafka, truth.records());
        truth = awaitUsageAgrees(kafka, when + " and " + resent + " events delivered again");
        System.out.printf("CrashRecoveryIT: usage exact after %s: %d workloads, %d records, %d of them repeats (%d sent again by the "
                + "test now), %d events waiting for a missing sequence; tick ran %.3f s%n", when, truth.usage().size(),
                truth.records().size(), truth.repeats(), resent, truth.waiting(),
                truth.usage().values().stream().filter(f -> f.name().equals("tick")).mapToDouble(LifecycleUsage.Figures::runningSeconds).sum());
    }

    private LifecycleUsage.Snapshot awaitUsageAgrees(String kafka, String when) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            Instant to = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            var truth = LifecycleUsage.read(kafka, EPOCH_OF_TEST, to);
            var report = usage(EPOCH_OF_TEST, to);
            if (report.equals(truth.usage())) {
                return truth;
            }
            if (System.nanoTime() > deadline) {
                assertThat(report).as("usage after " + when + " (API) against what the lifecycle events in the broker imply, in [%s, %s)",
                        EPOCH_OF_TEST, to).isEqualTo(truth.usage());
            }
            Thread.sleep(1000);
        }
    }

    /** The usage report per workload uid, in {@code [from, to)}. */
    private Map<String, LifecycleUsage.Figures> usage(Instant from, Instant to) throws Exception {
        var report = get("/v1/usage?groupBy=workload&from=" + from + "&to=" + to);
        var usage = new java.util.TreeMap<String, LifecycleUsage.Figures>();
        report.path("items").forEach(row -> usage.put(row.path("uid").asText(), LifecycleUsage.Figures.of(row)));
        return usage;
    }

    /** Starts run.sh as a user does, and waits until it says the cloud is running. */
    private void start() throws Exception {
        runs++;
        log = data.resolve("run-" + runs + ".log");
        var builder = new ProcessBuilder("bash", "deploy/local/run.sh").directory(Path.of("..").toAbsolutePath().normalize().toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        var env = builder.environment();
        env.remove("QUARKUS_DATASOURCE_JDBC_URL");
        env.remove("KAFKA_BOOTSTRAP_SERVERS");
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("CORRAL_DATA_DIR", data.resolve("cloud").toString());
        env.put("CORRAL_HTTP_PORT", String.valueOf(apiPort));
        env.put("CORRAL_KAFKA_PORT", String.valueOf(kafkaPort));
        env.put("CORRAL_AGENT_HTTP_PORT", String.valueOf(agentPort));
        env.put("CORRAL_LOCAL_BUILD", "0");
        env.put("CORRAL_LOCAL_IMAGES", "ticker");
        env.put("CORRAL_AGENT_NODE_NAME", node);
        env.put("CORRAL_CONFIG", data.resolve("corral-config").toString()); // run.sh logs the CLI in: not into ~/.corral
        // No host network for the test's node (the bridge is host-wide).
        env.put("CORRAL_AGENT_NETWORK_SUBNET", "");
        // A gap in a workload's sequence (an agent killed between numbering an event and journalling it) waits as the
        // test's ground truth waits, however long the rounds take, rather than the meter's 5 minutes.
        env.put("CORRAL_USAGE_GAP_GRACE", "1h");
        long t0 = System.nanoTime();
        cloud = builder.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (!Files.readString(log).contains("Corral is running")) {
            if (!cloud.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("run.sh did not bring the cloud up (run " + runs + "):\n" + Files.readString(log));
            }
            Thread.sleep(250);
        }
        System.out.printf("CrashRecoveryIT: run.sh %d had the cloud up in %.1f s%n", runs, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Waits until every VM whose spec says Running runs again, started after {@code since}; each restarted at once,
     * not counted as a crash (restart count 0), the ticker for {@code reason} (null: its first start).
     */
    private void awaitRunningSince(Instant since, String reason) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        var waiting = new ArrayList<JsonNode>();
        while (System.nanoTime() < deadline) {
            waiting.clear();
            for (var vm : vms()) {
                String started = vm.path("status").path("restart").path("lastStartedAt").asText("");
                if (vm.path("spec").path("runState").asText().equals("Running") && !("Running".equals(vm.path("status").path("phase").asText())
                        && !started.isEmpty() && Instant.parse(started).isAfter(since))) {
                    waiting.add(vm);
                }
            }
            if (waiting.isEmpty()) {
                var tick = get("/v1/vms/tick");
                if (reason != null) {
                    System.out.printf("CrashRecoveryIT: the VMs run again %.1f s after run.sh %d started%n",
                            Duration.between(since, Instant.now()).toMillis() / 1e3, runs);
                    assertThat(tick.path("status").path("restart").path("reason").asText()).as("why tick restarted").isEqualTo(reason);
                }
                for (var vm : vms()) {
                    assertThat(vm.path("status").path("restart").path("count").asInt()).as(vm.path("metadata").path("name").asText()
                            + "'s restarts in a row: its agent stopped or lost it, which is no crash").isZero();
                }
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("VMs not running again under their restartPolicy; last seen: " + waiting);
    }

    private static String vm(String name, String runState) {
        return "{\"metadata\": {\"name\": \"" + name + "\"}, \"spec\": {\"image\": \"ticker\", \"vcpus\": 1, \"memoryMiB\": 64, "
                + "\"restartPolicy\": \"Always\", \"runState\": \"" + runState + "\"}}";
    }

    private HttpRequest request(String body, String key) {
        return HttpRequest.newBuilder(api.resolve("/v1/vms")).timeout(Duration.ofSeconds(60)).header("Authorization", adminToken())
                .header("Content-Type", "application/json").header("Idempotency-Key", "create-" + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** The Authorization header of the admin token run.sh's control plane wrote on its first start. */
    private String adminToken() {
        try {
            return "Bearer " + Files.readString(data.resolve("cloud").resolve("admin-token")).strip();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private HttpResponse<String> post(String body, String key) throws Exception {
        return http.send(request(body, key), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode get(String path) throws Exception {
        var r = http.send(HttpRequest.newBuilder(api.resolve(path)).header("Authorization", adminToken()).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** How many VMs of each name the API lists. */
    private Map<String, Integer> vmCounts() throws Exception {
        var counts = new HashMap<String, Integer>();
        vms().forEach(v -> counts.merge(v.path("metadata").path("name").asText(), 1, Integer::sum));
        return counts;
    }

    /** Every VM the API lists (every page). */
    private List<JsonNode> vms() throws Exception {
        var vms = new ArrayList<JsonNode>();
        String next = "";
        do {
            var page = get("/v1/vms?limit=100" + (next.isEmpty() ? "" : "&continue=" + next));
            page.path("items").forEach(vms::add);
            next = page.path("metadata").path("continue").asText("");
        } while (!next.isEmpty());
        return vms;
    }

    private long pidFile(String name) throws IOException {
        return Long.parseLong(Files.readString(data.resolve("cloud/run/" + name + ".pid")).strip());
    }

    private long postgresPid() throws IOException {
        return Long.parseLong(Files.readAllLines(data.resolve("cloud/postgres/postmaster.pid")).getFirst().strip());
    }

    /** No port left taken and no process left: the next run.sh must be able to start on the same ports. */
    private void assertNothingLeftRunning() throws Exception {
        for (String name : List.of("control-plane", "agent")) {
            assertThat(Files.exists(data.resolve("cloud/run/" + name + ".pid"))).as(name + "'s pid file").isFalse();
        }
        var pg = data.resolve("cloud/postgres/postmaster.pid");
        if (Files.exists(pg)) {
            assertThat(ProcessHandle.of(postgresPid()).filter(ProcessHandle::isAlive)
                    .flatMap(h -> h.info().command()).filter(c -> c.endsWith("/postgres"))).as("PostgreSQL left running").isEmpty();
        }
        assertPortsFree();
    }

    private void assertPortsFree() throws IOException {
        for (int port : new int[] {apiPort, kafkaPort, agentPort}) {
            try (var ignored = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                // free
            }
        }
    }

    private static void awaitGone(long pid) throws InterruptedException {
        var handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            try {
                handle.get().onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new AssertionError("pid " + pid + " still runs 30 s after kill -9", e);
            }
        }
    }

    /** Whatever happened to the test, nothing it started outlives it. */
    private void cleanUp() throws Exception {
        if (cloud != null && cloud.isAlive()) {
            cloud.destroy();
            if (!cloud.waitFor(60, TimeUnit.SECONDS)) {
                cloud.destroyForcibly();
            }
        }
        for (String name : List.of("agent", "control-plane")) {
            try {
                ProcessHandle.of(pidFile(name)).ifPresent(ProcessHandle::destroyForcibly);
            } catch (IOException | NumberFormatException gone) {
                // not running
            }
        }
        try {
            ProcessHandle.of(postgresPid()).filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
                    .ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | RuntimeException gone) {
            // not running
        }
        try (var files = Files.walk(data)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private record Attempt(String name, String body, int status) {
    }

    @FunctionalInterface
    private interface PidSource {
        long pid() throws IOException;
    }
}
