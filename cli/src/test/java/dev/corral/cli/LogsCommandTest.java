package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code corral logs} against a stand-in API server that answers the console endpoint as the control plane does. */
class LogsCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException, InterruptedException;
    }

    private String serve(Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                requests.add(exchange.getRequestURI().toString());
                handler.handle(exchange);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void text(HttpExchange exchange, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private int run(Writer stdout, String... args) {
        return Corral.execute(new PrintWriter(stdout, true), new PrintWriter(err, true), args);
    }

    @Test
    void logsPrintsTheConsoleOfTheVmInItsProjectWithTailLines() throws IOException {
        String url = serve(exchange -> text(exchange, "tick 9\ntick 10 ✓\n"));

        int exit = run(out, "logs", "vm/web-1", "--tail", "2", "-p", "team-a", "--server", url);

        assertThat(exit).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).isEqualTo("tick 9\ntick 10 ✓\n");
        assertThat(err.toString()).isEmpty();
        assertThat(requests).containsExactly("/v1/vms/web-1/console?project=team-a&tailLines=2");
    }

    @Test
    void aContainersLogsComeFromItsLogsEndpoint() throws IOException {
        String url = serve(exchange -> text(exchange, "hello from a job\n"));

        int exit = run(out, "logs", "container/job", "--server", url);

        assertThat(exit).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).isEqualTo("hello from a job\n");
        assertThat(requests).containsExactly("/v1/containers/job/logs?project=default");
    }

    @Test
    void execPrintsTheOutputAndExitsWithTheCommandsExitCode() throws IOException {
        var bodies = new CopyOnWriteArrayList<String>();
        String url = serve(exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] bytes = "{\"exitCode\": 7, \"output\": \"to stderr\\n\", \"truncated\": false, \"timedOut\": false}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
        });

        int exit = run(out, "exec", "container/web", "--server", url, "--", "sh", "-c", "exit 7");

        assertThat(exit).isEqualTo(7);
        assertThat(out.toString()).isEqualTo("to stderr\n");
        assertThat(requests).containsExactly("/v1/containers/web/exec?project=default");
        assertThat(bodies).singleElement().asString().contains("\"command\":[\"sh\",\"-c\",\"exit 7\"]");
    }

    @Test
    void execIsOnlyForContainers() {
        int exit = run(out, "exec", "vm/web-1", "--server", "http://127.0.0.1:9", "--", "ls");
        assertThat(exit).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString()).isEqualTo("error: 'exec' does not apply to vms.\n");
    }

    @Test
    void followPrintsEachPieceAsItArrives() throws IOException {
        var printedFirst = new CountDownLatch(1);
        var stdout = new StringWriter() {
            @Override
            public void flush() {
                if (toString().contains("booted\n")) {
                    printedFirst.countDown();
                }
            }
        };
        String url = serve(exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, 0);
            var body = exchange.getResponseBody();
            body.write("booted\n".getBytes(StandardCharsets.UTF_8));
            body.flush();
            // The stream goes on only once the CLI has printed what came so far, as a followed console would.
            boolean printed = printedFirst.await(5, TimeUnit.SECONDS);
            body.write((printed ? "tick 1\n" : "the CLI held the first line back\n").getBytes(StandardCharsets.UTF_8));
        });

        int exit = run(stdout, "logs", "vm", "web-1", "-f", "--server", url);

        assertThat(exit).isEqualTo(Corral.EXIT_OK);
        assertThat(stdout.toString()).isEqualTo("booted\ntick 1\n");
        assertThat(requests).containsExactly("/v1/vms/web-1/console?project=default&follow=true");
    }

    @Test
    void problemFromTheServerIsOneErrorLineAndExitOne() throws IOException {
        String url = serve(exchange -> {
            byte[] problem = """
                    {"type":"https://corral.dev/problems/unavailable","title":"Service Unavailable","status":503,
                     "detail":"The agent of node worker-3 at http://10.0.0.7:8081 cannot be reached: the connection was refused."}"""
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/problem+json");
            exchange.sendResponseHeaders(503, problem.length);
            exchange.getResponseBody().write(problem);
        });

        int exit = run(out, "logs", "vm/web-1", "--server", url);

        assertThat(exit).isEqualTo(Corral.EXIT_ERROR);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEqualTo("error: The agent of node worker-3 at http://10.0.0.7:8081 cannot be reached: "
                + "the connection was refused. (503 Service Unavailable)" + System.lineSeparator());
    }

    @Test
    void malformedCommandLinesAreUsageErrorsThatAskNothingOfTheServer() throws IOException {
        String url = serve(exchange -> text(exchange, "should not be asked\n"));
        for (var args : List.of(
                List.of("logs", "vm/web-1", "--tail", "-1"),
                List.of("logs", "vm/web-1", "--tail", "ten"),
                List.of("logs", "node/worker-3"),
                List.of("logs", "vm"),
                List.of("logs"))) {
            err.getBuffer().setLength(0);
            var command = new java.util.ArrayList<>(args);
            command.addAll(List.of("--server", url));

            int exit = run(out, command.toArray(String[]::new));

            assertThat(exit).as(String.join(" ", args)).isEqualTo(Corral.EXIT_USAGE);
            assertThat(err.toString().strip()).as(String.join(" ", args)).startsWith("error: ").doesNotContain("\n");
        }
        assertThat(out.toString()).isEmpty();
        assertThat(requests).isEmpty();
    }
}
