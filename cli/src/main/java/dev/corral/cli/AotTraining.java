package dev.corral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

import com.sun.net.httpserver.HttpServer;

/**
 * The workload {@code cli/bin/corral} records to build the CLI's ahead-of-time cache (JEP 483): the common commands
 * against a stand-in API server on the loopback interface, their output thrown away. A fixed workload rather than the
 * user's first command, so that the cache holds what {@code get}, {@code describe} and the rest load whichever command
 * came first. Not a command: nothing a user runs.
 */
public final class AotTraining {

    private static final String VM = """
            {"apiVersion":"corral/v1","kind":"VM","metadata":{"name":"web-%d","project":"default","resourceVersion":"%d",
            "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"env":"prod"}},"spec":{"image":"ticker","instanceType":"c1.small",
            "vcpus":1,"memoryMiB":256},"status":{"phase":"Running","node":"node-1","conditions":[]}}""";

    private AotTraining() {
    }

    public static void main(String... args) throws IOException {
        byte[] one = VM.formatted(1, 1).getBytes(StandardCharsets.UTF_8);
        byte[] list = ("{\"apiVersion\":\"corral/v1\",\"kind\":\"VMList\",\"metadata\":{\"resourceVersion\":\"2\"},\"items\":["
                + VM.formatted(1, 1) + "," + VM.formatted(2, 2) + "]}").getBytes(StandardCharsets.UTF_8);
        var server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestURI().getPath().endsWith("/vms") ? list : one;
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (var out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        var config = Files.createTempFile("corral-aot-training", ".yaml");
        try {
            Files.writeString(config, "currentContext: training\ncontexts:\n- name: training\n  server: http://127.0.0.1:"
                    + server.getAddress().getPort() + "\n  project: default\n");
            System.setProperty("corral.config", config.toString());
            run("get", "vms");
            run("get", "vms", "-o", "wide");
            run("get", "vm", "web-1", "-o", "json");
            run("describe", "vm", "web-1");
            run("--help");
        } finally {
            server.stop(0);
            Files.deleteIfExists(config);
        }
    }

    private static void run(String... args) {
        var sink = new PrintWriter(Writer.nullWriter());
        Corral.execute(InputStream.nullInputStream(), sink, sink, args);
    }
}
