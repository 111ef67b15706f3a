package dev.corral.controlplane;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A node agent's console endpoint and nothing else, as the real agent serves it:
 * {@code GET /v1/workloads/{uid}/console?follow=&tailLines=}. It holds a fixed console per workload uid; a
 * followed console then writes {@code tick N} every 100 ms until the client goes away (or 60 s pass).
 */
final class StandInAgent implements AutoCloseable {

    private static final Pattern CONSOLE = Pattern.compile("/v1/workloads/([^/]+)/console");
    static final int FOLLOW_TICK_MILLIS = 100;
    private static final int FOLLOW_MAX_TICKS = 600;

    private final HttpServer server;
    private final Map<String, byte[]> consoles = new ConcurrentHashMap<>();
    /** The query strings of the console requests it received, in order. */
    final List<String> queries = new CopyOnWriteArrayList<>();
    /** Counted down when a followed console's client went away (its write failed) before the stream ended. */
    final CountDownLatch followerGone = new CountDownLatch(1);

    StandInAgent() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // A followed console holds its thread for as long as it streams.
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/workloads/", this::handle);
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void holdConsole(String uid, byte[] console) {
        consoles.put(uid, console);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            var matcher = CONSOLE.matcher(exchange.getRequestURI().getPath());
            String query = exchange.getRequestURI().getRawQuery();
            queries.add(query == null ? "" : query);
            byte[] console = matcher.matches() ? consoles.get(matcher.group(1)) : null;
            if (console == null) {
                byte[] problem = """
                        {"type":"https://corral.dev/problems/not-found","title":"Not Found","status":404,\
                        "detail":"The stand-in agent runs no workload %s."}""".formatted(exchange.getRequestURI().getPath())
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
                exchange.sendResponseHeaders(404, problem.length);
                exchange.getResponseBody().write(problem);
                return;
            }
            var params = params(query);
            if (params.containsKey("tailLines")) {
                console = tail(console, Integer.parseInt(params.get("tailLines")));
            }
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            boolean follow = "true".equals(params.get("follow"));
            // Length 0: chunked, as a followed console must be.
            exchange.sendResponseHeaders(200, follow ? 0 : console.length);
            OutputStream out = exchange.getResponseBody();
            out.write(console);
            out.flush();
            if (follow) {
                follow(out);
            }
        }
    }

    private void follow(OutputStream out) {
        try {
            for (int tick = 1; tick <= FOLLOW_MAX_TICKS; tick++) {
                Thread.sleep(FOLLOW_TICK_MILLIS);
                out.write(("tick " + tick + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException e) {
            followerGone.countDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@code n} lines, each with its newline; a last line without one counts as a line. */
    static byte[] tail(byte[] console, int n) {
        int start = console.length;
        int lines = 0;
        for (int i = console.length - 1; i >= 0; i--) {
            if (console[i] == '\n' && i != console.length - 1) {
                if (++lines == n) {
                    break;
                }
            }
            start = i;
        }
        return n == 0 ? new byte[0] : Arrays.copyOfRange(console, start, console.length);
    }

    private static Map<String, String> params(String query) {
        var params = new java.util.HashMap<String, String>();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                params.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
            }
        }
        return params;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
