package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.getVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.registerNodeWithAgent;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The interactive console proxied to the node agent, against a stand-in agent that serves the agent's attach endpoint. */
@QuarkusTest
class ConsoleAttachIT {

    @TestHTTPResource("/")
    URI base;

    private final String pool = unique("pool");
    private final StandInAttachAgent agent;
    private final HttpClient http = HttpClient.newHttpClient();

    ConsoleAttachIT() throws Exception {
        agent = new StandInAttachAgent();
    }

    @AfterEach
    void stopAgent() throws Exception {
        agent.close();
    }

    /** A VM placed on a fresh node whose agent answers at {@code agentEndpoint}; returns its name. */
    private String placedVm(String agentEndpoint) {
        registerNodeWithAgent(unique("node"), pool, agentEndpoint).then().statusCode(201);
        String name = unique("vm");
        createVm(vmBody(name, image(), 1, 512, pool, null)).then().statusCode(201).body("status.phase", equalTo("Scheduled"));
        return name;
    }

    private String runningVm() {
        String vm = placedVm(agent.endpoint());
        agent.runs(getVm(vm).getString("metadata.uid"));
        return vm;
    }

    /** A WebSocket client that collects the bytes it receives and how it was closed. */
    private static final class Client implements WebSocket.Listener {
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket socket;

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

        byte[] bytes() {
            synchronized (received) {
                return received.toByteArray();
            }
        }

        String text() {
            return new String(bytes(), StandardCharsets.ISO_8859_1);
        }

        void await(String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!text().contains(text)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("never received '" + text + "'; received: " + text());
                }
                Thread.sleep(20);
            }
        }
    }

    private Client attach(String path) {
        var client = new Client();
        client.socket = http.newWebSocketBuilder().header("Authorization", "Bearer " + ApiTokens.admin()).buildAsync(URI.create(base.toString().replaceFirst("^http", "ws") + path.substring(1)),
                client).join();
        return client;
    }

    /** The refused handshake's status and body. */
    private String refusal(String path) {
        try {
            attach(path);
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode() + " " + h.getResponse().body();
            }
            throw e;
        }
        throw new AssertionError("the attach was accepted");
    }

    @Test
    void keystrokesAndOutputPassBothWaysByteForByte() throws Exception {
        String vm = runningVm();
        var client = attach("/v1/vms/" + vm + "/console/attach?tailLines=3");
        client.await("attached with tailLines=3\r\n");

        byte[] keys = {'l', 's', '\r', 0x1b, '[', 'A', 0, (byte) 0xff, (byte) 0xc3};
        client.socket.sendBinary(ByteBuffer.wrap(keys), true).join();
        var expected = new ByteArrayOutputStream();
        expected.writeBytes("attached with tailLines=3\r\n> ".getBytes(StandardCharsets.US_ASCII));
        expected.writeBytes(keys);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.bytes().length < expected.size() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(client.bytes()).isEqualTo(expected.toByteArray());

        client.socket.sendText("uname -a\r", true).join();
        client.await("text: uname -a\r");
    }

    @Test
    void theAgentClosingEndsTheClientWithItsCodeAndReason() throws Exception {
        var client = attach("/v1/vms/" + runningVm() + "/console/attach");
        client.await("attached");
        client.socket.sendBinary(ByteBuffer.wrap("stop".getBytes(StandardCharsets.US_ASCII)), true).join();
        assertThat(client.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000 the workload stopped");
    }

    @Test
    void theClientDetachingClosesTheAgentsEndWithItsCodeAndReason() throws Exception {
        var client = attach("/v1/vms/" + runningVm() + "/console/attach");
        client.await("attached");
        client.socket.sendClose(WebSocket.NORMAL_CLOSURE, "detached").join();
        assertThat(agent.firstClose.get(10, TimeUnit.SECONDS)).isEqualTo("1000 detached");
    }

    @Test
    void twoClientsAttachAtOnce() throws Exception {
        String vm = runningVm();
        var first = attach("/v1/vms/" + vm + "/console/attach");
        var second = attach("/v1/vms/" + vm + "/console/attach");
        first.socket.sendBinary(ByteBuffer.wrap("a".getBytes(StandardCharsets.US_ASCII)), true).join();
        second.socket.sendBinary(ByteBuffer.wrap("b".getBytes(StandardCharsets.US_ASCII)), true).join();
        first.await("> a");
        second.await("> b");
    }

    @Test
    void aRequestThatIsNotAWebSocketUpgradeIsUpgradeRequired() {
        String vm = runningVm();
        given().get("/v1/vms/" + vm + "/console/attach").then().statusCode(426)
                .header("Upgrade", "websocket")
                .contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/upgrade-required"))
                .body("detail", containsString("WebSocket"));
        assertThat(agent.closes).isEmpty();
    }

    @Test
    void unknownVmIsNotFoundBeforeTheUpgrade() {
        String vm = unique("ghost");
        given().get("/v1/vms/" + vm + "/console/attach").then().statusCode(404)
                .contentType("application/problem+json")
                .body("detail", equalTo("VM '" + vm + "' not found."));
        assertThat(refusal("/v1/vms/" + vm + "/console/attach")).startsWith("404 ").contains("VM '" + vm + "' not found.");
    }

    @Test
    void vmNotPlacedYetIsConflictSayingItsPhase() {
        registerNodeWithAgent(unique("node"), pool, agent.endpoint()).then().statusCode(201);
        String vm = unique("huge");
        createVm(vmBody(vm, image(), 1, 65536, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));

        assertThat(refusal("/v1/vms/" + vm + "/console/attach")).startsWith("409 ")
                .contains("is not placed on a node yet (its phase is Pending)");
        given().get("/v1/vms/" + vm + "/console/attach").then().statusCode(409).contentType("application/problem+json");
    }

    @Test
    void workloadTheAgentDoesNotKnowIsNotFoundWithTheAgentsDetail() {
        String vm = placedVm(agent.endpoint());
        assertThat(refusal("/v1/vms/" + vm + "/console/attach"))
                .isEqualTo("404 " + problemJson(404, "Not Found", "The stand-in agent runs no workload " + getVm(vm).getString("metadata.uid") + ".",
                        "/v1/vms/" + vm + "/console/attach", "not-found"));
    }

    @Test
    void workloadThatIsNotRunningIsConflictSayingItsPhase() {
        String vm = placedVm(agent.endpoint());
        agent.stopped(getVm(vm).getString("metadata.uid"));
        assertThat(refusal("/v1/vms/" + vm + "/console/attach")).startsWith("409 ")
                .contains("VM '" + vm + "' is not running on node").contains("(its phase is Scheduled)");
    }

    @Test
    void agentThatDoesNotAnswerIsUnavailableNamingTheNode() throws Exception {
        int closedPort;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String node = unique("node");
        registerNodeWithAgent(node, pool, "http://127.0.0.1:" + closedPort).then().statusCode(201);
        String vm = unique("vm");
        createVm(vmBody(vm, image(), 1, 512, pool, null)).then().statusCode(201).body("status.node", equalTo(node));

        assertThat(refusal("/v1/vms/" + vm + "/console/attach")).startsWith("503 ")
                .contains("\"type\":\"https://corral.dev/problems/unavailable\"")
                .contains("The agent of node " + node + " at http://127.0.0.1:" + closedPort + " cannot be reached");
    }

    @Test
    void tailLinesThatIsNotACountIsInvalidNamingTheField() {
        String vm = runningVm();
        given().queryParam("tailLines", "ten").get("/v1/vms/" + vm + "/console/attach").then().statusCode(400)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("tailLines"));
        assertThat(refusal("/v1/vms/" + vm + "/console/attach?tailLines=-1")).startsWith("400 ").contains("tailLines");
    }

    private static String problemJson(int status, String title, String detail, String instance, String kind) {
        return "{\"type\":\"https://corral.dev/problems/" + kind + "\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail + "\",\"instance\":\"" + instance + "\"}";
    }
}
