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
 * The interactive console end to end: a real control plane and a real node agent, the {@code linux} guest (Debian's
 * cloud kernel, a busybox shell on ttyS0) booted once by the engine on this host, and commands typed into its shell
 * through the API, with {@code corral console} and with a WebSocket client, their answers read back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VmConsoleIT {

    /** The stock command line. */
    static final String CMDLINE = "console=ttyS0 panic=-1";
    private static final String VM = "shell-1";
    private static final String PROMPT = "corral:/# ";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ControlPlaneProcess controlPlane;
    private static AgentProcess agent;
    private static Path work;

    @BeforeAll
    static void bootTheLinuxGuest() throws Exception {
        work = Files.createTempDirectory("corral-e2e-console-");
        // Debian's kernel (14 MiB) is larger than Quarkus's default request body limit of 10 MiB.
        controlPlane = ControlPlaneProcess.start(Map.of("QUARKUS_HTTP_LIMITS_MAX_BODY_SIZE", "64M"));
        agent = AgentProcess.start(controlPlane.server, "console-" + ProcessHandle.current().pid(), work,
                Map.of("CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", controlPlane.kafkaBootstrapServers()));

        // Built into target/ so that a second run reuses the downloaded packages (build.sh keeps them there).
        Path guest = Path.of("target/linux-guest").toAbsolutePath();
        var build = new ProcessBuilder("bash", "../deploy/guests/linux/build.sh", guest.toString()).redirectErrorStream(true).start();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor()).as("building the linux guest: " + log).isZero();
        String kernel = sha(run("upload", guest.resolve("vmlinuz").toString()));
        String initrd = sha(run("upload", guest.resolve("initramfs.cpio.gz").toString()));
        var image = runWith("apiVersion: corral/v1\nkind: Image\nmetadata: {name: linux}\nspec: {kernel: {sha256: " + kernel
                + "}, initrd: {sha256: " + initrd + "}, cmdline: \"" + CMDLINE + "\"}\n", "apply", "-f", "-");
        assertThat(image.exit).as(image.err).isZero();

        awaitUntil("node Ready", Duration.ofSeconds(120), () -> nodeReady() ? "" : null);
        var created = run("create", "vm", VM, "--image", "linux", "--cpus", "1", "--memory", "256Mi");
        assertThat(created.exit).as(created.err).isZero();
        awaitUntil("VM Running", Duration.ofSeconds(120), () -> phase().equals("Running") ? "" : null);
        // The software CPU boots to the shell in 20-30 s of one core, more when the machine is busy.
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
    }

    @Test
    @Order(1)
    void aCommandTypedThroughCorralConsoleIsAnsweredAndDetachingLeavesTheVmRunning() throws Exception {
        var keys = new PipedOutputStream();
        var stdin = new PipedInputStream(keys);
        var out = new StringWriter();
        var err = new StringWriter();
        var exit = CompletableFuture.supplyAsync(() -> Corral.execute(stdin, new PrintWriter(out, true), new PrintWriter(err, true),
                "console", "vm/" + VM, "--server", controlPlane.server.toString()));

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
        var one = http.newWebSocketBuilder().buildAsync(attach, first).join();
        var two = http.newWebSocketBuilder().buildAsync(attach, second).join();

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
    void stoppingTheVmClosesTheConsoleAndAStoppedVmCannotBeAttached() throws Exception {
        var client = new Client();
        HttpClient.newHttpClient().newWebSocketBuilder()
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
        var r = run("get", "vm", VM, "-o", "json");
        JsonNode vm = r.exit == 0 ? JSON.readTree(r.out) : null;
        return vm == null ? "" : vm.path("status").path("phase").asText();
    }

    private static String console() throws Exception {
        var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(controlPlane.server + "/v1/vms/" + VM + "/console"))
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
