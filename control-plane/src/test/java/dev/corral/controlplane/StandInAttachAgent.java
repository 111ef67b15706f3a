package dev.corral.controlplane;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;

/**
 * A node agent's console attach endpoint and nothing else, answering as the real agent does:
 * {@code GET /v1/workloads/{uid}/console/attach} upgrades for a running workload, and refuses with a problem (404
 * unknown, 409 not running) before the upgrade otherwise. Its guest greets with the query it was attached with,
 * echoes each binary frame back as {@code > <bytes>} (text frames as {@code text: <text>}), and stops when sent
 * {@code stop}: the connection then closes with 1000 "the workload stopped", as the agent closes it.
 */
final class StandInAttachAgent implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final Map<String, Boolean> workloads = new ConcurrentHashMap<>();
    /** How each attached connection ended, as "code reason", from the agent's side. */
    final List<String> closes = new CopyOnWriteArrayList<>();
    final CompletableFuture<String> firstClose = new CompletableFuture<>();

    StandInAttachAgent() throws Exception {
        server = vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1").toCompletionStage()
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    void runs(String uid) {
        workloads.put(uid, true);
    }

    void stopped(String uid) {
        workloads.put(uid, false);
    }

    private void handle(HttpServerRequest request) {
        var m = java.util.regex.Pattern.compile("/v1/workloads/([^/]+)/console/attach").matcher(request.path());
        Boolean running = m.matches() ? workloads.get(m.group(1)) : null;
        if (running == null) {
            problem(request, 404, "The stand-in agent runs no workload " + (m.matches() ? m.group(1) : request.path()) + ".");
        } else if (!running) {
            problem(request, 409, "workload " + m.group(1) + " is not running on this node, so its console takes no input");
        } else {
            request.toWebSocket().onSuccess(socket -> attached(socket, request.query()));
        }
    }

    private void attached(ServerWebSocket socket, String query) {
        socket.writeBinaryMessage(Buffer.buffer("attached with " + query + "\r\n"));
        socket.binaryMessageHandler(data -> {
            if (data.toString(StandardCharsets.US_ASCII).equals("stop")) {
                socket.close((short) 1000, "the workload stopped");
            } else {
                socket.writeBinaryMessage(Buffer.buffer("> ").appendBuffer(data));
            }
        });
        socket.textMessageHandler(text -> socket.writeBinaryMessage(Buffer.buffer("text: " + text)));
        socket.closeHandler(v -> {
            String how = socket.closeStatusCode() + " " + socket.closeReason();
            closes.add(how);
            firstClose.complete(how);
        });
    }

    private static void problem(HttpServerRequest request, int status, String detail) {
        request.response().setStatusCode(status).putHeader("Content-Type", "application/problem+json")
                .end("{\"type\":\"about:blank\",\"title\":\"refused\",\"status\":" + status + ",\"detail\":\"" + detail + "\"}");
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
