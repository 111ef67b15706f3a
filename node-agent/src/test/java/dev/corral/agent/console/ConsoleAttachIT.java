package dev.corral.agent.console;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import jakarta.inject.Inject;

import dev.corral.agent.NodeAgent;
import dev.corral.agent.reconcile.Consoles;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * The agent's attach endpoint with the real HTTP server and a stand-in guest: a console whose input echoes what is
 * typed back into its output, as a shell does.
 */
@QuarkusTest
class ConsoleAttachIT {

    @Inject
    NodeAgent agent;

    @TestHTTPResource("/v1/workloads/")
    URI workloads;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A running workload whose guest echoes its input; the bytes typed into it collect in {@code typed}. */
    private final class EchoingGuest {
        final String uid = java.util.UUID.randomUUID().toString();
        final ConsoleBuffer console = agent.consoles().open(uid);
        final ByteArrayOutputStream typed = new ByteArrayOutputStream();
        final Consoles.Input input = bytes -> {
            synchronized (typed) {
                typed.writeBytes(bytes);
            }
            write(new String(bytes, StandardCharsets.UTF_8).replace("\r", "\r\n"));
            return bytes.length;
        };

        EchoingGuest() {
            agent.consoles().connectInput(uid, input);
        }

        void write(String text) {
            for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
                console.write(b);
            }
        }

        String typed() {
            synchronized (typed) {
                return typed.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** A WebSocket client that collects what it receives and how it was closed. */
    private static final class Client implements WebSocket.Listener {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        final boolean reading;
        WebSocket socket;

        Client(boolean reading) {
            this.reading = reading;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            if (reading) {
                webSocket.request(1);
            }
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            synchronized (received) {
                var bytes = new byte[data.remaining()];
                data.get(bytes);
                received.writeBytes(bytes);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        String text() {
            synchronized (received) {
                return received.toString(StandardCharsets.UTF_8);
            }
        }

        long size() {
            synchronized (received) {
                return received.size();
            }
        }
    }

    private Client attach(String uid, String query, boolean reading) {
        var client = new Client(reading);
        URI uri = URI.create(workloads.toString().replaceFirst("^http", "ws") + uid + "/console/attach" + query);
        client.socket = http.newWebSocketBuilder().buildAsync(uri, client).join();
        return client;
    }

    @Test
    void attachedClientsAllSeeTheOutputAndEachOnesKeystrokesReachTheGuest() throws Exception {
        var guest = new EchoingGuest();
        guest.write("corral linux: init\n/ # ");
        var first = attach(guest.uid, "?tailLines=1", true);
        var second = attach(guest.uid, "", true);
        await(() -> first.text().equals("/ # "), first::text);

        first.socket.sendBinary(ByteBuffer.wrap("ls\r".getBytes(StandardCharsets.US_ASCII)), true).join();
        await(() -> first.text().endsWith("ls\r\n"), first::text);
        await(() -> second.text().equals("ls\r\n"), second::text); // no tail asked for: only what came after it attached
        second.socket.sendText("echo hi\r", true).join();
        await(() -> first.text().endsWith("echo hi\r\n") && second.text().endsWith("echo hi\r\n"), first::text);
        assertThat(guest.typed()).isEqualTo("ls\recho hi\r");

        first.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        first.closed.get(5, TimeUnit.SECONDS);
        assertThat(agent.consoles().input(guest.uid)).as("detaching leaves the workload running").isPresent();
        guest.write("still here\n");
        await(() -> second.text().endsWith("still here\n"), second::text);
        assertThat(first.text()).doesNotContain("still here");

        agent.consoles().disconnectInput(guest.uid, guest.input); // the workload stops
        assertThat(second.closed.get(5, TimeUnit.SECONDS)).isEqualTo("1000 the workload stopped");
    }

    @Test
    void deletingTheWorkloadClosesItsConsoles() throws Exception {
        var guest = new EchoingGuest();
        var client = attach(guest.uid, "", true);
        guest.write("x");
        await(() -> client.text().equals("x"), client::text);
        agent.consoles().remove(guest.uid);
        assertThat(client.closed.get(5, TimeUnit.SECONDS)).isEqualTo("1000 the workload stopped");
    }

    /**
     * A client that reads nothing while the guest writes 32 MiB: the guest is never held up (the writes finish) and
     * the agent stops sending once the connection is backed up, so the client gets far less than was written (the
     * connection's buffers and the session's 64 KiB), then what comes next once it reads again. The guest writes in
     * pieces with pauses, as a console does, so the agent has time to send each piece: one that sent whatever it had
     * would queue all of it in memory for the client.
     */
    @Test
    void aClientThatDoesNotReadLosesOutputAndNeverHoldsTheGuest() throws Exception {
        var guest = new EchoingGuest();
        var slow = attach(guest.uid, "", false);
        byte[] line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n".getBytes(StandardCharsets.US_ASCII);
        long written = 0;
        for (int piece = 0; piece < 512; piece++) {
            for (int i = 0; i < (64 << 10) / line.length; i++) {
                guest.console.write(line, 0, line.length);
                written += line.length;
            }
            Thread.sleep(2);
        }

        slow.socket.request(Long.MAX_VALUE);
        await(() -> {
            guest.write("END\n");
            return slow.text().contains("END\n");
        }, () -> "received " + slow.size() + " bytes, no END");
        assertThat(slow.size()).as("what a client that did not read is sent").isLessThan(written / 2);
    }

    @Test
    void errorsAreProblemsBeforeTheUpgrade() {
        String unknown = java.util.UUID.randomUUID().toString();
        given().get("/v1/workloads/" + unknown + "/console/attach").then().statusCode(404)
                .contentType("application/problem+json").body("detail", equalTo("this node has no workload " + unknown));

        var stopped = java.util.UUID.randomUUID().toString();
        agent.consoles().open(stopped);
        given().get("/v1/workloads/" + stopped + "/console/attach").then().statusCode(409)
                .contentType("application/problem+json").body("detail", containsString("is not running on this node"));

        var guest = new EchoingGuest();
        given().get("/v1/workloads/" + guest.uid + "/console/attach").then().statusCode(426)
                .header("Upgrade", "websocket").contentType("application/problem+json");
        given().get("/v1/workloads/" + guest.uid + "/console/attach?tailLines=-2").then().statusCode(400)
                .contentType("application/problem+json").body("detail", containsString("tailLines"));

        // A WebSocket client gets the same answers, with the problem as the body of the refused handshake.
        assertThatThrownBy(() -> attach(stopped, "", true)).isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(WebSocketHandshakeException.class, e -> {
                    assertThat(e.getResponse().statusCode()).isEqualTo(409);
                    assertThat(e.getResponse().body().toString()).contains("is not running on this node");
                });
    }

    private static void await(BooleanSupplier condition, java.util.function.Supplier<String> last) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; last seen: " + last.get());
            }
            Thread.sleep(20);
        }
    }
}
