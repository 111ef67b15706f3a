package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.cli.Corral;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Containers end to end, as the README shows them: the busybox image built from Debian's busybox-static
 * (deploy/images/busybox), imported with {@code corral image import}, run by a real node agent with real runc on
 * this host's cgroups (root only, as the agent's containers are). A web server answers on the container's
 * loopback through {@code corral exec}; a job's output and exit code, and an OOM kill, land in logs and status;
 * deleting them leaves no mount, cgroup or runc state on the node.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static ControlPlaneProcess controlPlane;
    private static AgentProcess agent;
    private static Path work;

    @BeforeAll
    static void importBusybox() throws Exception {
        assertThat(System.getProperty("user.name")).as("containers run as root (runc, overlay mounts, cgroups)").isEqualTo("root");
        work = Files.createTempDirectory("corral-e2e-containers-");
        controlPlane = ControlPlaneProcess.start();
        agent = startAgent();
        Path image = Path.of("target/busybox-image").toAbsolutePath();
        var build = new ProcessBuilder("sh", "../deploy/images/busybox/build.sh", image.toString()).redirectErrorStream(true).start();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor()).as("building the busybox image: " + log).isZero();
        var imported = run("image", "import", image.resolve("busybox.oci.tar").toString(), "--name", "busybox");
        assertThat(imported.exit).as(imported.err).isZero();
        assertThat(imported.out).isEqualTo("image/busybox imported (1 layer)\n");
        awaitUntil("node Ready", Duration.ofSeconds(120), () -> run("get", "nodes", "-o", "json").out.contains("\"Ready\""));
    }

    private static AgentProcess startAgent() throws Exception {
        return AgentProcess.start(controlPlane, "containers-" + ProcessHandle.current().pid(), work,
                Map.of("CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", controlPlane.kafkaBootstrapServers(), "CORRAL_AGENT_NETWORK_SUBNET", ""));
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
    }

    @Test
    @Order(1)
    void aWebServerRunsAndExecReachesItOnTheContainersLoopback() throws Exception {
        var created = run("create", "container", "web", "--image", "busybox", "--cpus", "0.5", "--memory", "32Mi", "--",
                "httpd", "-f", "-p", "8080", "-h", "/var/www");
        assertThat(created.exit).as(created.err).isZero();
        awaitUntil("web Running", Duration.ofSeconds(120), () -> phase("web").equals("Running"));
        var page = run("exec", "container/web", "--", "wget", "-qO-", "http://127.0.0.1:8080/");
        assertThat(page.exit).as(page.err).isZero();
        assertThat(page.out).isEqualTo("<h1>Hello from a Corral container</h1>\n");
        var failing = run("exec", "container/web", "--", "sh", "-c", "echo to stderr >&2; exit 7");
        assertThat(failing.exit).isEqualTo(7);
        assertThat(failing.out).isEqualTo("to stderr\n");
        var processes = run("exec", "container/web", "--", "ps", "-o", "comm");
        assertThat(processes.out.lines().toList()).containsExactly("COMMAND", "httpd", "ps");

        // A restart: SIGTERM (httpd exits on it), then a new run on the same root, answering again.
        assertThat(run("exec", "container/web", "--", "touch", "/root/kept").exit).isZero();
        long sequence = container("web").path("status").path("eventSequence").asLong();
        var restarted = run("restart", "container/web");
        assertThat(restarted.exit).as(restarted.err).isZero();
        awaitUntil("web Running again", Duration.ofSeconds(120), () -> container("web").path("status").path("eventSequence").asLong()
                > sequence + 2 && phase("web").equals("Running"));
        assertThat(run("exec", "container/web", "--", "ls", "/root/kept").exit).isZero(); // its upper layer outlives a run
        assertThat(run("exec", "container/web", "--", "wget", "-qO-", "http://127.0.0.1:8080/").out).contains("Hello");
    }

    @Test
    @Order(2)
    void aJobsOutputAndExitCodeLandInItsLogsAndStatus() throws Exception {
        var created = run("create", "container", "job", "--image", "busybox", "--restart-policy", "Never", "--",
                "sh", "-c", "echo hello from a job; exit 3");
        assertThat(created.exit).as(created.err).isZero();
        awaitUntil("job Failed", Duration.ofSeconds(120), () -> phase("job").equals("Failed"));
        var running = condition("job", "Running");
        assertThat(running.path("reason").asText()).isEqualTo("Error");
        assertThat(running.path("message").asText()).contains("exited with code 3");
        assertThat(container("job").path("status").path("exitCode").asInt()).isEqualTo(3);
        var logs = run("logs", "container/job");
        assertThat(logs.exit).as(logs.err).isZero();
        assertThat(logs.out).isEqualTo("hello from a job\n");
    }

    @Test
    @Order(3)
    void aContainerPastItsMemoryLimitIsOomKilled() throws Exception {
        var created = run("create", "container", "hog", "--image", "busybox", "--memory", "16Mi", "--restart-policy", "Never", "--",
                "sh", "-c", "head -c 268435456 /dev/zero | sort");
        assertThat(created.exit).as(created.err).isZero();
        awaitUntil("hog Failed", Duration.ofSeconds(120), () -> phase("hog").equals("Failed"));
        assertThat(condition("hog", "Running").path("reason").asText()).isEqualTo("OOMKilled");
        assertThat(container("hog").path("status").path("exitCode").asInt()).isEqualTo(137);
    }

    @Test
    @Order(4)
    void aContainerOutlivesAKilledAgentAndTheNextOneTakesItOver() throws Exception {
        long began = System.nanoTime();
        var created = run("create", "container", "survivor", "--image", "busybox", "--restart-policy", "Never", "--",
                "sh", "-c", "i=0; while [ ! -e /tmp/done ]; do i=$((i+1)); echo tick $i; sleep 0.1; done; exit 5");
        assertThat(created.exit).as(created.err).isZero();
        awaitUntil("survivor Running", Duration.ofSeconds(120), () -> phase("survivor").equals("Running"));
        String uid = container("survivor").path("metadata").path("uid").asText();
        long pid = containerPid(uid);
        awaitUntil("survivor ticking", Duration.ofSeconds(30), () -> lastTick() >= 3);

        int ticked = lastTick(); // the logs come through the agent
        agent.kill();
        assertThat(containerPid(uid)).as("the container runs on without an agent").isEqualTo(pid);
        agent = startAgent();
        awaitUntil("the new agent took it over", Duration.ofSeconds(120),
                () -> Files.readString(agent.log).contains("container survivor outlived an earlier agent process: it runs on"));
        // Logs keep flowing: what it printed while no agent ran waited in its pipe, and it goes on printing.
        awaitUntil("ticks after the restart", Duration.ofSeconds(60), () -> lastTick() > ticked + 20);
        // Nothing doubled; at most what the killed agent had read and not yet stored (a line in flight) is missing.
        var ticks = run("logs", "container/survivor").out.lines().mapToInt(l -> Integer.parseInt(l.substring(5))).toArray();
        assertThat(ticks).isSorted().doesNotHaveDuplicates().contains(1, ticked, ticked + 20);
        assertThat(ticks.length).isGreaterThanOrEqualTo(ticks[ticks.length - 1] - 2);
        assertThat(containerPid(uid)).as("adopted, not started again").isEqualTo(pid);
        assertThat(phase("survivor")).isEqualTo("Running");
        var exec = run("exec", "container/survivor", "--", "touch", "/tmp/done");
        assertThat(exec.exit).as(exec.err).isZero();

        awaitUntil("survivor Failed", Duration.ofSeconds(60), () -> phase("survivor").equals("Failed"));
        long elapsedSeconds = Duration.ofNanos(System.nanoTime() - began).toSeconds() + 1;
        var survivor = container("survivor");
        assertThat(survivor.path("status").path("exitCode").asInt()).isEqualTo(5);
        assertThat(condition("survivor", "Running").path("reason").asText()).isEqualTo("Error");
        assertThat(survivor.path("status").path("restart").path("count").asInt()).isZero();
        assertThat(Files.readString(agent.log)).doesNotContain("container " + uid + " was left by an earlier agent process");
        // Metered once: one running interval across the agent's restart, never longer than the test took.
        awaitUntil("survivor's usage", Duration.ofSeconds(60), () -> {
            var usage = JSON.readTree(run("usage", "--group-by", "workload", "-o", "json").out);
            for (JsonNode r : usage.path("items")) {
                if ("survivor".equals(r.path("name").asText()) && r.path("runningSeconds").asDouble() > 0) {
                    assertThat(r.path("runningSeconds").asDouble()).isLessThanOrEqualTo(elapsedSeconds);
                    assertThat(r.path("flags").toString()).doesNotContain("SequenceGap", "NoStartEvent");
                    return true;
                }
            }
            return false;
        });
    }

    /** The pid of the container's first process, as runc under the agent's root says. */
    private static long containerPid(String uid) throws Exception {
        var state = new ProcessBuilder("runc", "--root", work.resolve("agent-state/containers/runc").toString(), "state", uid)
                .redirectErrorStream(true).start();
        String out = new String(state.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(state.waitFor()).as(out).isZero();
        return JSON.readTree(out).path("pid").asLong();
    }

    private static int lastTick() {
        return run("logs", "container/survivor").out.lines().filter(l -> l.matches("tick [0-9]+"))
                .mapToInt(l -> Integer.parseInt(l.substring(5))).max().orElse(0);
    }

    @Test
    @Order(5)
    void deletingThemLeavesNothingOnTheNode() throws Exception {
        var uids = new ArrayList<String>();
        for (String name : List.of("web", "job", "hog", "survivor")) {
            uids.add(container(name).path("metadata").path("uid").asText());
            var deleted = run("delete", "container/" + name);
            assertThat(deleted.exit).as(deleted.err).isZero();
        }
        Path state = work.resolve("agent-state");
        awaitUntil("the containers' directories removed", Duration.ofSeconds(60),
                () -> uids.stream().noneMatch(u -> Files.exists(state.resolve("containers/runs").resolve(u))));
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(state.toString());
        var list = new ProcessBuilder("runc", "--root", state.resolve("containers/runc").toString(), "list", "--quiet")
                .redirectErrorStream(true).start();
        assertThat(new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        for (String uid : uids) {
            try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
                assertThat(hierarchies.map(h -> h.resolve("corral").resolve(uid))).noneMatch(Files::exists);
            }
        }
        assertThat(run("logs", "container/job").exit).isNotZero();

        // Metered like VMs: the web server ran for a while at its CPU and memory limits (0.5 vCPU, 32 MiB).
        awaitUntil("web's usage", Duration.ofSeconds(60), () -> {
            var usage = JSON.readTree(run("usage", "--group-by", "workload", "-o", "json").out);
            for (JsonNode r : usage.path("items")) {
                if ("web".equals(r.path("name").asText()) && "Container".equals(r.path("kind").asText())
                        && r.path("runningSeconds").asDouble() > 0) {
                    assertThat(r.path("vcpuSeconds").asDouble()).isCloseTo(0.5 * r.path("runningSeconds").asDouble(), org.assertj.core.data.Offset.offset(0.01));
                    return true;
                }
            }
            return false;
        });
    }

    record Result(int exit, String out, String err) {
    }

    private static Result run(String... arguments) {
        var out = new StringWriter();
        var err = new StringWriter();
        var all = new ArrayList<>(List.of(arguments));
        int end = all.contains("--") ? all.indexOf("--") : all.size(); // after "--" it would be the container's
        all.addAll(end, List.of("--server", controlPlane.server.toString(), "--token", controlPlane.adminToken));
        int exit = Corral.execute(new ByteArrayInputStream(new byte[0]), new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    private static JsonNode container(String name) throws Exception {
        var r = run("get", "container", name, "-o", "json");
        return r.exit == 0 ? JSON.readTree(r.out) : JSON.createObjectNode();
    }

    private static String phase(String name) throws Exception {
        return container(name).path("status").path("phase").asText();
    }

    private static JsonNode condition(String name, String type) throws Exception {
        for (JsonNode c : container(name).path("status").path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c;
            }
        }
        return JSON.createObjectNode();
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitUntil(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what + "\nagent log:\n" + Files.readString(agent.log));
            }
            Thread.sleep(250);
        }
    }
}
