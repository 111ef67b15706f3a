package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

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
 * A Linux VM end to end: a real control plane and a real node agent, the {@code linux} image (Debian's cloud kernel,
 * a busybox initramfs, and a 64 MiB ext4 root disk that each VM boots from through its own copy-on-write overlay)
 * booted by the engine on this host. Commands are typed into its shell through the API, with {@code corral console}
 * and with a WebSocket client, and their answers read back; a file written on its disk survives a stop and a start;
 * deleting it removes its overlay. As root, two VMs on the node's network (a bridge and a tap each) ping each other.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmConsoleIT {

    /** The stock command line, booting from the image's disk. */
    static final String CMDLINE = "console=ttyS0 panic=-1 root=/dev/vda";
    private static final String VM = "shell-1";
    /** Its network peer (as root only). */
    private static final String PEER = "shell-2";
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    /** With a network the VM's name is its host name (the agent's ip= word); without, the guest's own. */
    private static final String PROMPT = ROOT ? VM + ":/# " : "corral:/# ";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** This test's own bridge and subnet, so that a local cloud on this host keeps its corral0. */
    private static final String BRIDGE = "cre2e" + ProcessHandle.current().pid() % 1_000_000;

    private static ControlPlaneProcess controlPlane;
    private static AgentProcess agent;
    private static Path work;

    @BeforeAll
    static void bootTheLinuxGuest() throws Exception {
        work = Files.createTempDirectory("corral-e2e-console-");
        // Debian's kernel (14 MiB) is larger than Quarkus's default request body limit of 10 MiB.
        controlPlane = ControlPlaneProcess.start(Map.of("QUARKUS_HTTP_LIMITS_MAX_BODY_SIZE", "64M"));
        agent = AgentProcess.start(controlPlane, "console-" + ProcessHandle.current().pid(), work,
                Map.of("CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", controlPlane.kafkaBootstrapServers(),
                        "CORRAL_AGENT_NETWORK_BRIDGE", BRIDGE, "CORRAL_AGENT_NETWORK_SUBNET", ROOT ? "10.213.9.0/24" : ""));

        // Built into target/ so that a second run reuses the downloaded packages (build.sh keeps them there).
        Path guest = Path.of("target/linux-guest").toAbsolutePath();
        var build = new ProcessBuilder("bash", "../deploy/guests/linux/build.sh", guest.toString()).redirectErrorStream(true).start();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor()).as("building the linux guest: " + log).isZero();
        String kernel = sha(run("upload", guest.resolve("vmlinuz").toString()));
        String initrd = sha(run("upload", guest.resolve("initramfs.cpio").toString()));
        var image = run("create", "image", "linux", "--kernel", "sha256:" + kernel, "--initrd", "sha256:" + initrd, "--disk",
                guest.resolve("rootfs.ext4").toString(), "--cmdline", CMDLINE);
        assertThat(image.exit).as(image.err).isZero();

        awaitUntil("node Ready", Duration.ofSeconds(120), () -> nodeReady() ? "" : null);
        var created = ROOT
                ? run("create", "vm", VM, "--image", "linux", "--cpus", "1", "--memory", "256Mi", "--volume", "data=1", "--network", "attached")
                : run("create", "vm", VM, "--image", "linux", "--cpus", "1", "--memory", "256Mi", "--volume", "data=1");
        assertThat(created.exit).as(created.err).isZero();
        if (ROOT) {
            var peer = run("create", "vm", PEER, "--image", "linux", "--cpus", "1", "--memory", "192Mi", "--network", "attached");
            assertThat(peer.exit).as(peer.err).isZero();
        }
        awaitUntil("VM Running", Duration.ofSeconds(120), () -> phase(VM).equals("Running") ? "" : null);
        // The software CPU boots to the shell in 20-30 s of one core, more when the machine is busy (two VMs share two).
        awaitUntil("the shell's prompt on the console", Duration.ofSeconds(300), () -> console().contains(PROMPT) ? "" : null);
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (controlPlane != null) {
            controlPlane.close();
        }
        if (ROOT) {
            new ProcessBuilder("ip", "link", "delete", BRIDGE).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    void aCommandTypedThroughCorralConsoleIsAnsweredAndDetachingLeavesTheVmRunning() throws Exception {
        var keys = new PipedOutputStream();
        var stdin = new PipedInputStream(keys);
        var out = new StringWriter();
        var err = new StringWriter();
        var exit = CompletableFuture.supplyAsync(() -> Corral.execute(stdin, new PrintWriter(out, true), new PrintWriter(err, true),
                "console", "vm/" + VM, "--server", controlPlane.server.toString(), "--token", controlPlane.adminToken));

        keys.write("echo $((6*7))\r".getBytes(StandardCharsets.US_ASCII));
        keys.flush();
        awaitUntil("the answer 42", Duration.ofSeconds(120), () -> Pattern.compile("(?m)^42\\r?$").matcher(out.toString()).find() ? "" : null,
                out::toString);
        keys.close(); // the input ends: the CLI detaches

        assertThat(exit.get(30, TimeUnit.SECONDS)).as(err.toString()).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).startsWith(PROMPT).contains("echo $((6*7))");
        assertThat(phase()).isEqualTo("Running");
    }

    @Test
    @Order(2)
    void twoWebSocketClientsAttachBothSeeTheOutputAndEitherTypes() throws Exception {
        var http = HttpClient.newHttpClient();
        URI attach = URI.create(controlPlane.server.toString().replaceFirst("^http", "ws") + "/v1/vms/" + VM + "/console/attach");
        var first = new Client();
        var second = new Client();
        var one = http.newWebSocketBuilder().header("Authorization", "Bearer " + controlPlane.adminToken).buildAsync(attach, first).join();
        var two = http.newWebSocketBuilder().header("Authorization", "Bearer " + controlPlane.adminToken).buildAsync(attach, second).join();

        two.sendBinary(ByteBuffer.wrap("echo corral-$((40+2))-done\r".getBytes(StandardCharsets.US_ASCII)), true).join();
        awaitUntil("both clients see the answer", Duration.ofSeconds(120),
                () -> first.text().contains("corral-42-done\r\n") && second.text().contains("corral-42-done\r\n") ? "" : null,
                () -> "first: " + first.text() + "\nsecond: " + second.text());
        one.sendBinary(ByteBuffer.wrap("uname -s\r".getBytes(StandardCharsets.US_ASCII)), true).join();
        awaitUntil("uname's answer", Duration.ofSeconds(120), () -> second.text().contains("Linux\r\n") ? "" : null, second::text);

        one.sendClose(WebSocket.NORMAL_CLOSURE, "detached").join();
        two.sendClose(WebSocket.NORMAL_CLOSURE, "detached").join();
        first.closed.get(30, TimeUnit.SECONDS);
        second.closed.get(30, TimeUnit.SECONDS);
        assertThat(phase()).isEqualTo("Running");
        assertThat(console()).as("the read-only console shows it too").contains("corral-42-done");
    }

    @Test
    @Order(3)
    void theVmRunsFromItsOwnDiskAndReachesItsPeerOverTheNodesNetwork() throws Exception {
        var shell = new Client();
        var socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + controlPlane.adminToken).buildAsync(attach(VM), shell).join();
        type(socket, "grep ' / ' /proc/mounts; cat /sys/block/vdb/serial; echo; echo kept-$((6*7)) > /root/note && sync && echo note-$((1+1))-written\r");
        // Markers the shell computes: the echo of the typed line does not contain them.
        awaitUntil("the note written on the root disk", Duration.ofSeconds(120), () -> shell.text().contains("note-2-written\r\n") ? "" : null,
                shell::text);
        assertThat(shell.text()).contains("/dev/vda / ext4 rw").contains("data\r\n");

        var vm = vm(VM);
        assertThat(vm.path("status").path("resources").path("diskGiB").asLong()).as("1 GiB boot disk and the 1 GiB volume").isEqualTo(2);
        if (!ROOT) {
            return;
        }
        String ip = vm.path("status").path("network").path("ip").asText();
        String peerIp = vm(PEER).path("status").path("network").path("ip").asText();
        assertThat(ip).startsWith("10.213.9.");
        assertThat(peerIp).startsWith("10.213.9.").isNotEqualTo(ip);
        assertThat(vm.path("status").path("network").path("mac").asText()).matches("02(:[0-9a-f]{2}){5}");
        var wide = run("get", "vms", "-o", "wide");
        assertThat(wide.out).contains(ip).contains(peerIp);
        awaitUntil("the peer running", Duration.ofSeconds(300), () -> phase(PEER).equals("Running") ? "" : null);
        // The peer answers once its own init has brought eth0 up: ping until it does.
        awaitUntil("the peer answering a ping", Duration.ofSeconds(300), () -> {
            type(socket, "ping -c 2 -W 2 " + peerIp + " | grep -o '[0-9] packets received'\r");
            Thread.sleep(5000);
            return shell.text().contains("2 packets received") ? "" : null;
        }, shell::text);
        type(socket, "ip -o -4 addr show eth0; ping -c 1 -W 2 10.213.9.1 | grep -o '[0-9] packets received'\r");
        awaitUntil("the node's gateway answering", Duration.ofSeconds(60), () -> shell.text().contains("1 packets received") ? "" : null,
                shell::text);
        assertThat(shell.text()).contains("inet " + ip + "/24");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "detached").join();
    }

    @Test
    @Order(4)
    void stoppingTheVmClosesTheConsoleAndAStoppedVmCannotBeAttached() throws Exception {
        var client = new Client();
        HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + controlPlane.adminToken)
                .buildAsync(URI.create(controlPlane.server.toString().replaceFirst("^http", "ws") + "/v1/vms/" + VM + "/console/attach"), client)
                .join();
        var stopped = run("stop", "vm/" + VM, "--wait", "--timeout", "120s");
        assertThat(stopped.exit).as(stopped.err).isZero();
        assertThat(client.closed.get(60, TimeUnit.SECONDS)).isEqualTo("1000 the workload stopped");

        var refused = run("console", "vm/" + VM);
        assertThat(refused.exit).isEqualTo(Corral.EXIT_ERROR);
        assertThat(refused.err).startsWith("error: VM '" + VM + "' is not running on node").contains("(409 Conflict)").hasLineCount(1);
        var unknown = run("console", "vm/no-such-vm");
        assertThat(unknown.exit).isEqualTo(Corral.EXIT_ERROR);
        assertThat(unknown.err).contains("not found").contains("404");
    }

    @Test
    @Order(5)
    void whatTheGuestWroteSurvivesAStopAndAStartAndDeletingTheVmRemovesItsDisks() throws Exception {
        String uid = vm(VM).path("metadata").path("uid").asText();
        Path disks = work.resolve("agent-state/vms/" + uid);
        assertThat(disks.resolve("boot.qcow2")).exists();
        assertThat(Files.size(disks.resolve("boot.qcow2"))).as("the overlay holds only what the guest changed").isLessThan(16L << 20);

        var started = run("start", "vm/" + VM);
        assertThat(started.exit).as(started.err).isZero();
        awaitUntil("VM Running again", Duration.ofSeconds(120), () -> phase(VM).equals("Running") ? "" : null);
        var shell = new Client();
        var socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + controlPlane.adminToken).buildAsync(attach(VM), shell).join();
        // Typed until the new boot's shell reads it.
        awaitUntil("the note read back after the restart", Duration.ofSeconds(300), () -> {
            type(socket, "cat /root/note\r");
            Thread.sleep(5000);
            return shell.text().contains("kept-42\r\n") ? "" : null;
        }, shell::text);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "detached").join();

        var deleted = run("delete", "vm/" + VM);
        assertThat(deleted.exit).as(deleted.err).isZero();
        awaitUntil("its disks removed from the node", Duration.ofSeconds(120), () -> Files.exists(disks) ? null : "");
        if (ROOT) {
            var link = new ProcessBuilder("ip", "link", "show", "cr" + uid.replace("-", "").substring(0, 12)).redirectErrorStream(true).start();
            assertThat(link.waitFor()).as("its tap is gone").isNotZero();
        }
    }

    /** A WebSocket client that collects what it receives. */
    private static final class Client implements WebSocket.Listener {
        private final StringBuffer received = new StringBuffer();
        final CompletableFuture<String> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            received.append(StandardCharsets.UTF_8.decode(data));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        String text() {
            return received.toString();
        }
    }

    // --- helpers ---

    record Result(int exit, String out, String err) {
    }

    private static Result run(String... arguments) {
        return runWith("", arguments);
    }

    private static Result runWith(String stdin, String... arguments) {
        var out = new StringWriter();
        var err = new StringWriter();
        var all = new ArrayList<>(List.of(arguments));
        all.add("--server");
        all.add(controlPlane.server.toString());
        all.add("--token");
        all.add(controlPlane.adminToken);
        int exit = Corral.execute(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out), new PrintWriter(err),
                all.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    private static String sha(Result upload) {
        assertThat(upload.exit).as(upload.err).isZero();
        return upload.out.strip().split(" ")[0].substring("sha256:".length());
    }

    private static boolean nodeReady() throws Exception {
        var r = run("get", "nodes", "-o", "json");
        return r.exit == 0 && r.out.contains("\"Ready\"");
    }

    private static String phase() throws Exception {
        return phase(VM);
    }

    private static String phase(String name) throws Exception {
        return vm(name).path("status").path("phase").asText();
    }

    private static JsonNode vm(String name) throws Exception {
        var r = run("get", "vm", name, "-o", "json");
        return r.exit == 0 ? JSON.readTree(r.out) : JSON.createObjectNode();
    }

    private static URI attach(String name) {
        return URI.create(controlPlane.server.toString().replaceFirst("^http", "ws") + "/v1/vms/" + name + "/console/attach");
    }

    private static void type(WebSocket socket, String keys) {
        socket.sendBinary(ByteBuffer.wrap(keys.getBytes(StandardCharsets.US_ASCII)), true).join();
    }

    private static String console() throws Exception {
        var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(controlPlane.server + "/v1/vms/" + VM + "/console"))
                .header("Authorization", "Bearer " + controlPlane.adminToken)
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 ? response.body() : "";
    }

    @FunctionalInterface
    private interface Check {
        /** Null while not there yet. */
        String get() throws Exception;
    }

    private static void awaitUntil(String what, Duration timeout, Check check) throws Exception {
        awaitUntil(what, timeout, check, () -> "");
    }

    private static void awaitUntil(String what, Duration timeout, Check check, Supplier<String> seen) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (check.get() == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited " + timeout.toSeconds() + " s for " + what + "; seen: " + seen.get()
                        + "\nconsole:\n" + console() + "\nagent log:\n" + Files.readString(agent.log));
            }
            Thread.sleep(250);
        }
    }
}
