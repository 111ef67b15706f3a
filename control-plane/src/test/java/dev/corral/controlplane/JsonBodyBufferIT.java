package dev.corral.controlplane;

import static dev.corral.controlplane.Api.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/**
 * web.JsonBodyBuffer reads JSON bodies on the event loop before the endpoint runs. Over HTTP/2 (h2c, many requests on
 * one connection, as the JDK's client and the benchmarks send them) every request gets its own body, checked as
 * strictly as over HTTP/1.1 (BadRequestCorpusIT); over HTTP/1.1 a client that waits for 100 Continue gets it, and one
 * that stops sending its body is answered 408 after {@code corral.api.body-timeout} (2 s in the tests).
 */
@QuarkusTest
class JsonBodyBufferIT {

    @TestHTTPResource("/")
    URL root;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void manyCreatesOnOneConnectionEachGetTheirOwnBody() throws Exception {
        // The first request upgrades the connection; the rest share it.
        var first = http.send(get("/v1/instancetypes?limit=1"), HttpResponse.BodyHandlers.ofString());
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        var names = new ArrayList<String>();
        var answers = new ArrayList<CompletableFuture<HttpResponse<String>>>();
        for (int i = 0; i < 48; i++) {
            String name = unique("h2");
            names.add(name);
            answers.add(http.sendAsync(post("/v1/instancetypes", """
                    {"metadata": {"name": "%s"}, "spec": {"vcpus": %d, "memoryMiB": %d}}""".formatted(name, 1 + i % 8, 256 * (1 + i))),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < answers.size(); i++) {
            var answer = answers.get(i).get();
            assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
            assertThat(answer.body()).contains("\"name\":\"" + names.get(i) + "\"").contains("\"memoryMiB\":" + 256 * (1 + i));
        }
    }

    @Test
    void aBrokenBodyIsRefusedAndNamed() throws Exception {
        var answer = http.send(post("/v1/instancetypes", "{\"metadata\": {\"name\": \"" + unique("h2") + "\"}, \"spec\": {\"vcpus\": \"two\"}}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(answer.body()).contains("spec.vcpus");
    }

    @Test
    void aBodyOverTheLimitWithoutALengthIsRefusedWith413() throws Exception {
        byte[] big = ("{\"metadata\": {\"name\": \"" + unique("h2") + "\"}, \"spec\": {\"vcpus\": 1, \"memoryMiB\": 256}}"
                + " ".repeat(3 << 19)).getBytes(StandardCharsets.UTF_8);
        // A stream publisher: no Content-Length, the body only as DATA frames.
        var request = HttpRequest.newBuilder(uri("/v1/instancetypes")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ApiTokens.admin())
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build();
        var answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).isEqualTo(413);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        // The connection still serves the next request.
        assertThat(http.send(get("/v1/instancetypes?limit=1"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyWithoutCredentialsIsRefusedWith401() throws Exception {
        var request = HttpRequest.newBuilder(uri("/v1/instancetypes")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"metadata\": {\"name\": \"" + unique("h2") + "\"}}")).build();
        assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    }

    @Test
    void aClientThatAsksToContinueIsToldToAndItsBodyIsRead() throws Exception {
        String name = unique("expect");
        byte[] body = ("{\"metadata\": {\"name\": \"" + name + "\"}, \"spec\": {\"vcpus\": 1, \"memoryMiB\": 256}}")
                .getBytes(StandardCharsets.UTF_8);
        try (var socket = new Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            out.write(head("POST /v1/instancetypes", body.length, "Expect: 100-continue\r\n"));
            out.flush();
            var in = socket.getInputStream();
            assertThat(readLine(in)).isEqualTo("HTTP/1.1 100 Continue");
            readLine(in); // the blank line after it
            out.write(body);
            out.flush();
            assertThat(readLine(in)).isEqualTo("HTTP/1.1 201 Created");
        }
    }

    @Test
    void aBodyThatStopsComingIsAnswered408AndTheConnectionCloses() throws Exception {
        try (var socket = new Socket(root.getHost(), root.getPort())) {
            socket.setSoTimeout(30_000);
            var out = socket.getOutputStream();
            out.write(head("POST /v1/instancetypes", 100, ""));
            out.write("{\"metadata\":".getBytes(StandardCharsets.UTF_8)); // and then nothing more
            out.flush();
            long sent = System.nanoTime();
            var in = socket.getInputStream();
            assertThat(readLine(in)).startsWith("HTTP/1.1 408 ");
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).contains("application/problem+json").contains("request-timeout");
            assertThat((System.nanoTime() - sent) / 1e9).as("seconds until the answer (the tests' body-timeout is 2 s)").isBetween(1.5, 25.0);
        }
    }

    private static byte[] head(String requestLine, int length, String more) {
        return (requestLine + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + length
                + "\r\nAuthorization: Bearer " + ApiTokens.admin() + "\r\n" + more + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String readLine(java.io.InputStream in) throws java.io.IOException {
        var line = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != '\n'; ) {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + ApiTokens.admin()).GET().build();
    }

    private HttpRequest post(String path, String json) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + ApiTokens.admin()).POST(HttpRequest.BodyPublishers.ofString(json)).build();
    }

    private URI uri(String path) {
        return URI.create(root.toString().replaceFirst("/$", "") + path);
    }
}
