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
 * only), crashed three ways during a storm of creates: kill -9 of the control plane, of the node agent, of the
 * embedded PostgreSQL. Each time {@code run.sh} must notice, stop the rest and exit non-zero with the reason; run
 * again, it must bring the whole cloud back by itself: healthy, the node Ready, every create it acknowledged (201)
 * there exactly once, retries with the same Idempotency-Key answered as the first try was, and the ticker VM
 * running again under its restartPolicy. Last, a normal stop exits 0 and logs no ERROR.
 */
class CrashRecoveryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STORM = 30;

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
            awaitTickerRunningSince(Instant.EPOCH);

            crashDuringStorm(1, "control plane", () -> pidFile("control-plane"), "the control plane (pid %d) exited with status 137");
            crashDuringStorm(2, "node agent", () -> pidFile("agent"), "the node agent (pid %d) exited with status 137");
            crashDuringStorm(3, "PostgreSQL", this::postgresPid, "Stopping the control plane: the embedded PostgreSQL server (pid %d) exited");

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

    private void crashDuringStorm(int round, String what, PidSource victim, String reasonFormat) throws Exception {
        long pid = victim.pid();
        var attempts = new CopyOnWriteArrayList<Attempt>();
        var started = new CountDownLatch(STORM / 3);
        var sends = new ArrayList<CompletableFuture<?>>();
        for (int i = 0; i < STORM; i++) {
            String name = "storm-" + round + "-" + i;
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
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

        assertThat(cloud.waitFor(90, TimeUnit.SECONDS)).as("run.sh notices that the " + what + " died and stops the rest").isTrue();
        System.out.printf("CrashRecoveryIT: run.sh %d exited %.1f s after kill -9 of the %s%n", runs, (System.nanoTime() - killed) / 1e9, what);
        assertThat(cloud.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log)).contains(reasonFormat.formatted(pid));
        assertNothingLeftRunning();

        Instant restarted = Instant.now();
        start();
        var acknowledged = attempts.stream().filter(a -> a.status == 201).map(a -> a.name).toList();
        assertThat(acknowledged).as("some creates were acknowledged before the " + what + " died").isNotEmpty();
        var vms = vmCounts();
        for (String name : acknowledged) {
            assertThat(vms.get(name)).as(name + " was acknowledged with 201 before the " + what + " died").isEqualTo(1);
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
        awaitTickerRunningSince(restarted);
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

    private void awaitTickerRunningSince(Instant since) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode vm = null;
        while (System.nanoTime() < deadline) {
            vm = get("/v1/vms/tick");
            String started = vm.path("status").path("restart").path("lastStartedAt").asText("");
            if ("Running".equals(vm.path("status").path("phase").asText()) && !started.isEmpty()
                    && Instant.parse(started).isAfter(since)) {
                if (!since.equals(Instant.EPOCH)) {
                    System.out.printf("CrashRecoveryIT: the ticker VM runs again %.1f s after run.sh %d started%n",
                            Duration.between(since, Instant.now()).toMillis() / 1e3, runs);
                }
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the ticker VM is not running again under its restartPolicy; last seen: " + vm);
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

    /** How many VMs of each name the API lists (every page). */
    private Map<String, Integer> vmCounts() throws Exception {
        var counts = new HashMap<String, Integer>();
        String next = "";
        do {
            var page = get("/v1/vms?limit=100" + (next.isEmpty() ? "" : "&continue=" + next));
            page.path("items").forEach(v -> counts.merge(v.path("metadata").path("name").asText(), 1, Integer::sum));
            next = page.path("metadata").path("continue").asText("");
        } while (!next.isEmpty());
        return counts;
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
        for (int port : new int[] {apiPort, kafkaPort, agentPort}) {
            try (var ignored = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                // free
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
