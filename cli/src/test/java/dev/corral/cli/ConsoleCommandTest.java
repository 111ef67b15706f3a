package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import dev.corral.cli.client.CorralClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code corral console} against a stand-in API server that answers the attach endpoint as the control plane does. */
class ConsoleCommandTest {

    private final Vertx vertx = Vertx.vertx();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    /** Each attach request's path and query. */
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** What the server received, and how the client closed. */
    private final StringBuffer typed = new StringBuffer();
    private final CompletableFuture<String> clientClosed = new CompletableFuture<>();
    private HttpServer server;

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Serves the attach endpoint: {@code session} gets each accepted WebSocket; other requests are refused with a problem. */
    private String serve(BiConsumer<HttpServerRequest, ServerWebSocket> session) throws Exception {
        server = vertx.createHttpServer().requestHandler(request -> {
            requests.add(request.uri());
            request.toWebSocket().onSuccess(socket -> {
                socket.binaryMessageHandler(data -> typed.append(data.toString(StandardCharsets.ISO_8859_1)));
                socket.closeHandler(v -> clientClosed.complete(socket.closeStatusCode() + " " + socket.closeReason()));
                session.accept(request, socket);
            });
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** A guest shell: a prompt, then each line typed is echoed and answered. */
    private void shell(HttpServerRequest request, ServerWebSocket socket) {
        socket.writeBinaryMessage(Buffer.buffer("corral:/# "));
        var line = new StringBuilder();
        socket.binaryMessageHandler(data -> {
            typed.append(data.toString(StandardCharsets.ISO_8859_1));
            for (byte b : data.getBytes()) {
                if (b == '\n') {
                    socket.writeBinaryMessage(Buffer.buffer(line + "\r\nyou said " + line + "\r\ncorral:/# "));
                    line.setLength(0);
                } else {
                    line.append((char) b);
                }
            }
        });
    }

    private int run(InputStream stdin, String... args) {
        return Corral.execute(stdin, new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static void await(BooleanSupplier condition, java.util.function.Supplier<String> seen) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; seen: " + seen.get());
            }
            Thread.sleep(20);
        }
    }

    @Test
    void pipedInputIsTypedAndTheOutputPrintedUntilTheInputEnds() throws Exception {
        String url = serve(this::shell);
        var keys = new PipedOutputStream();
        var stdin = new PipedInputStream(keys);
        var exit = CompletableFuture.supplyAsync(() -> run(stdin, "console", "vm/web-1", "-p", "team-a", "--server", url));

        keys.write("echo $((6*7))\n".getBytes(StandardCharsets.US_ASCII));
        keys.flush();
        await(() -> out.toString().contains("you said echo $((6*7))"), out::toString);
        keys.close();

        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).isEqualTo("corral:/# echo $((6*7))\r\nyou said echo $((6*7))\r\ncorral:/# ");
        assertThat(err.toString()).isEmpty();
        assertThat(requests).containsExactly("/v1/vms/web-1/console/attach?project=team-a&tailLines=1");
        assertThat(typed.toString()).isEqualTo("echo $((6*7))\n");
        assertThat(clientClosed.get(5, TimeUnit.SECONDS)).as("the input ended: a normal detach").isEqualTo("1000 detached");
    }

    @Test
    void theServerClosingEndsTheCommandAndSaysWhy() throws Exception {
        String url = serve((request, socket) -> {
            socket.writeBinaryMessage(Buffer.buffer("bye\r\n"));
            socket.close((short) 1000, "the workload stopped");
        });
        int exit = run(new PipedInputStream(new PipedOutputStream()), "console", "vm/web-1", "--tail", "0", "--server", url);

        assertThat(exit).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).isEqualTo("bye\r\n");
        assertThat(err.toString()).isEqualTo("vm/web-1: the workload stopped\n");
        assertThat(requests).containsExactly("/v1/vms/web-1/console/attach?project=default&tailLines=0");
    }

    @Test
    void aBrokenConnectionIsAnErrorWithTheReason() throws Exception {
        String url = serve((request, socket) -> socket.close((short) 1011, "the connection to the node agent failed"));
        int exit = run(new PipedInputStream(new PipedOutputStream()), "console", "vm/web-1", "--server", url);

        assertThat(exit).isEqualTo(Corral.EXIT_ERROR);
        assertThat(err.toString()).isEqualTo("error: the console of vm/web-1 closed: the connection to the node agent failed (code 1011)\n");
    }

    @Test
    void aRefusedAttachIsTheServersProblemOnOneLine() throws Exception {
        server = vertx.createHttpServer().requestHandler(request -> request.response().setStatusCode(409)
                .putHeader("Content-Type", "application/problem+json")
                .end("{\"type\":\"https://corral.dev/problems/conflict\",\"title\":\"Conflict\",\"status\":409,"
                        + "\"detail\":\"VM 'web-1' is not running on node n1 (its phase is Stopped).\"}"))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        int exit = run(new ByteArrayInputStream(new byte[0]), "console", "vm/web-1", "--server", "http://127.0.0.1:" + server.actualPort());

        assertThat(exit).isEqualTo(Corral.EXIT_ERROR);
        assertThat(err.toString()).isEqualTo("error: VM 'web-1' is not running on node n1 (its phase is Stopped). (409 Conflict)\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void anUnreachableServerIsOneLine() throws Exception {
        int port;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int exit = run(new ByteArrayInputStream(new byte[0]), "console", "vm/web-1", "--server", "http://127.0.0.1:" + port);
        assertThat(exit).isEqualTo(Corral.EXIT_ERROR);
        assertThat(err.toString()).startsWith("error: cannot reach the Corral API at http://127.0.0.1:" + port).hasLineCount(1);
    }

    /** On a terminal, Ctrl-] detaches: what was typed before it is sent, nothing after it. */
    @Test
    void ctrlRightBracketDetachesOnATerminal() throws Exception {
        String url = serve(this::shell);
        var connection = new CorralClient(java.net.URI.create(url)).attach("/v1/vms/web-1/console/attach", Map.of(), bytes -> { });
        var input = new ByteArrayInputStream("uname\n\u001dreboot\n".getBytes(StandardCharsets.US_ASCII));

        var closed = ConsoleCommand.pump(input, connection, true);

        assertThat(closed.normal()).isTrue();
        assertThat(clientClosed.get(5, TimeUnit.SECONDS)).isEqualTo("1000 detached");
        assertThat(typed.toString()).isEqualTo("uname\n");
    }

    @Test
    void fromAPipeCtrlRightBracketIsJustAByte() throws Exception {
        String url = serve(this::shell);
        var connection = new CorralClient(java.net.URI.create(url)).attach("/v1/vms/web-1/console/attach", Map.of(), bytes -> { });
        ConsoleCommand.pump(new ByteArrayInputStream("a\u001db".getBytes(StandardCharsets.US_ASCII)), connection, false);
        assertThat(typed.toString()).isEqualTo("a\u001db");
    }

    @Test
    void aCharacterSplitAcrossFramesIsPrintedWholeAndBytesThatAreNotUtf8AsReplacements() {
        var printed = new StringWriter();
        var output = new ConsoleCommand.Utf8Output(new PrintWriter(printed));
        byte[] check = "✓".getBytes(StandardCharsets.UTF_8);
        output.write(new byte[] {'o', 'k', check[0]});
        output.write(new byte[] {check[1], check[2], (byte) 0xff, '\n'});
        assertThat(printed.toString()).isEqualTo("ok✓\uFFFD\n");
    }

    @Test
    void helpSaysHowToDetachAndUsageErrorsAreExitTwo() {
        assertThat(run(new ByteArrayInputStream(new byte[0]), "console", "--help")).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).contains("Usage: corral console").contains("Ctrl-]");
        assertThat(run(new ByteArrayInputStream(new byte[0]), "console", "vm")).isEqualTo(Corral.EXIT_USAGE);
        assertThat(run(new ByteArrayInputStream(new byte[0]), "console", "node/n1")).isEqualTo(Corral.EXIT_USAGE);
        assertThat(run(new ByteArrayInputStream(new byte[0]), "console", "vm/web-1", "--tail", "-1")).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString()).contains("error: Name the vm").contains("does not apply to nodes").contains("--tail must be 0 or more");
    }
}
