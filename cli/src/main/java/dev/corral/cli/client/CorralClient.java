package dev.corral.cli.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Predicate;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.corral.api.Problem;
import dev.corral.api.ServerVersion;

/**
 * The Corral API as the CLI calls it. Answers are JSON trees; error answers (problem+json) become a
 * {@link CorralClientException} whose message is the one line the user reads.
 */
public final class CorralClient {

    public static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final URI server;
    private final String token;
    private final boolean storedCa;
    private final HttpClient http;

    public CorralClient(URI server) {
        this(server, null);
    }

    public CorralClient(URI server, String token) {
        this(server, token, null);
    }

    /**
     * @param certificateAuthorityData for an https server: the CA (base64 of its PEM, as a context stores it) whose
     *                                 certificates alone are trusted; null: the JDK's trust store
     */
    public CorralClient(URI server, String token, String certificateAuthorityData) {
        this.server = server;
        this.token = token;
        this.storedCa = certificateAuthorityData != null;
        var builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if ("http".equalsIgnoreCase(server.getScheme())) {
            // The JDK's client builds the default TLS context (the trust store, ~150 certificates parsed) unless given
            // one; a plain http:// server never uses it (redirects are not followed), so it gets one that refuses to.
            builder.sslContext(NoTls.CONTEXT).sslParameters(new SSLParameters());
        } else if (certificateAuthorityData != null) {
            builder.sslContext(ServerTrust.sslContext(certificateAuthorityData));
        }
        this.http = builder.build();
        synchronized (OPEN) {
            OPEN.add(http);
        }
    }

    /** The JDK clients made so far, weakly: an unreachable one stops by itself. */
    private static final Set<HttpClient> OPEN = Collections.newSetFromMap(new WeakHashMap<>());

    /**
     * Stops the JDK clients made so far, for a process about to exit: a client's selector thread waits in
     * {@code epoll_wait}, native code, and HotSpot's exit waits up to 300 ms for threads in native code to return.
     * Does not wait for a stream left unread (a {@code close()} would), and at most 100 ms for the threads to end.
     */
    public static void closeAll() {
        synchronized (OPEN) {
            OPEN.forEach(HttpClient::shutdownNow);
            try {
                for (var client : OPEN) {
                    client.awaitTermination(Duration.ofMillis(100));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            OPEN.clear();
        }
    }

    /** A TLS context for a client that only speaks plain HTTP: any use of it is a bug. */
    private static final class NoTls extends SSLContextSpi {
        static final SSLContext CONTEXT = new SSLContext(new NoTls(), null, "none") {
        };

        private static IllegalStateException unused() {
            return new IllegalStateException("TLS is not used for an http:// server");
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw unused();
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw unused();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw unused();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            throw unused();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            throw unused();
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            throw unused();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            throw unused();
        }
    }

    public URI server() {
        return server;
    }

    /** An answer: its status, its ETag (if any) and its JSON body (null when empty). */
    public record Answer(int status, String etag, JsonNode body) {
    }

    public ServerVersion version() {
        return JSON.convertValue(get("/v1/version", Map.of()).body(), ServerVersion.class);
    }

    public Answer get(String path, Map<String, String> query) {
        return send("GET", path, query, null, Map.of(), true);
    }

    /** Like {@link #get}, but a 404 is an answer with status 404 rather than an error. */
    public Answer getIfExists(String path, Map<String, String> query) {
        return send("GET", path, query, null, Map.of(), false);
    }

    public Answer send(String method, String path, Map<String, String> query, JsonNode body, Map<String, String> headers) {
        return send(method, path, query, body, headers, true);
    }

    private Answer send(String method, String path, Map<String, String> query, JsonNode body, Map<String, String> headers,
            boolean notFoundIsError) {
        var request = request(path, query).timeout(Duration.ofSeconds(60)).header("Accept", "application/json");
        headers.forEach(request::header);
        try {
            request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            if (body != null) {
                request.header("Content-Type", "application/json");
            }
        } catch (IOException e) {
            throw new CorralClientException("cannot encode the request: " + e.getMessage(), e);
        }
        var response = exchange(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() == 404 && !notFoundIsError) {
            return new Answer(404, null, null);
        }
        return answer(response);
    }

    /** A GET for another representation than JSON (e.g. {@code text/csv}); errors as for {@link #get}. */
    public String getText(String path, Map<String, String> query, String mediaType) {
        var request = request(path, query).timeout(Duration.ofSeconds(60)).header("Accept", mediaType + ", application/problem+json")
                .GET().build();
        var response = exchange(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() >= 400) {
            throw problem(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
        }
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** Uploads a file to the blob store; returns {sha256, size}. */
    public Answer upload(Path file) {
        return upload(file, null);
    }

    /** Uploads a file to the blob store, which refuses it unless its sha256 is {@code sha256} (when given). */
    public Answer upload(Path file, String sha256) {
        try {
            var request = request("/v1/blobs", sha256 == null ? Map.of() : Map.of("sha256", sha256)).timeout(Duration.ofMinutes(10))
                    .header("Content-Type", "application/octet-stream").header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofFile(file)).build();
            return answer(exchange(request, HttpResponse.BodyHandlers.ofByteArray()));
        } catch (java.io.FileNotFoundException e) {
            throw new CorralClientException("no such file: " + file, e);
        }
    }

    /**
     * Copies a text answer (a VM's console) to {@code out} as it arrives, flushing each piece, until the server ends
     * it; with {@code follow=true} in the query that is when the VM goes away or the server closes the stream.
     * No request timeout: a followed console may stay silent for as long as its guest does. Errors as for
     * {@link #get}.
     */
    public void streamText(String path, Map<String, String> query, Writer out) {
        var request = request(path, query).header("Accept", "text/plain, " + Problem.MEDIA_TYPE).GET().build();
        var response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        failOnProblem(response);
        // The decoder keeps a character split across two reads until its second half arrives.
        try (var reader = new InputStreamReader(response.body(), StandardCharsets.UTF_8)) {
            char[] buffer = new char[8192];
            for (int n; (n = reader.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            throw new CorralClientException("the stream from " + path + " broke: " + e.getMessage(), e);
        }
    }

    /**
     * Attaches to a WebSocket of the API (a VM's console): the guest's output goes to {@code output} as it comes.
     * A refused attach is the problem the server answered with, as for {@link #get}.
     */
    public ConsoleConnection attach(String path, Map<String, String> query, ConsoleConnection.Output output) {
        var http = request(path, query).build();
        URI uri = URI.create(http.uri().toString().replaceFirst("^http", "ws"));
        var listener = new ConsoleConnection.Listener(output);
        var builder = this.http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        try {
            return new ConsoleConnection(builder.buildAsync(uri, listener).get(), listener.closed);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof java.net.http.WebSocketHandshakeException refused) {
                var response = refused.getResponse();
                Object body = response.body();
                throw problem(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                        body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : new byte[0]);
            }
            if (cause instanceof ConnectException) {
                throw new CorralClientException("cannot reach the Corral API at " + server + " (is the control plane running?)", cause);
            }
            var untrusted = cause instanceof IOException io && "https".equalsIgnoreCase(server.getScheme())
                    ? ServerTrust.refusal(io, server, storedCa) : null;
            if (untrusted != null) {
                throw untrusted;
            }
            throw new CorralClientException("attaching to " + uri + " failed: " + (cause.getMessage() == null ? cause : cause.getMessage()), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralClientException("interrupted", e);
        }
    }

    /** A streamed answer that is an error becomes the problem it carries. */
    private void failOnProblem(HttpResponse<InputStream> response) {
        if (response.statusCode() < 400) {
            return;
        }
        try (InputStream in = response.body()) {
            throw problem(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), in.readAllBytes());
        } catch (IOException e) {
            throw new CorralClientException("HTTP " + response.statusCode() + " from " + response.uri(), e);
        }
    }

    /**
     * Follows a watch ({@code ?watch=true}): calls {@code onEvent} with each event's {type, object} until it returns
     * false, the server ends the stream, or the thread is interrupted.
     */
    public void watch(String path, Map<String, String> query, Predicate<JsonNode> onEvent) {
        var q = new LinkedHashMap<>(query);
        q.put("watch", "true");
        var request = request(path, q).header("Accept", "text/event-stream").GET().build();
        var response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        failOnProblem(response);
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("data: ") && !onEvent.test(JSON.readTree(line.substring(6)))) {
                    return;
                }
            }
        } catch (IOException e) {
            throw new CorralClientException("the watch on " + path + " broke: " + e.getMessage(), e);
        }
    }

    private HttpRequest.Builder request(String path, Map<String, String> query) {
        var uri = new StringBuilder(server.toString().replaceAll("/+$", "")).append(path);
        char sep = '?';
        for (var e : query.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            uri.append(sep).append(encode(e.getKey())).append('=').append(encode(e.getValue()));
            sep = '&';
        }
        var builder = HttpRequest.newBuilder(URI.create(uri.toString()));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new CorralClientException("cannot reach the Corral API at " + server + " (is the control plane running?)", e);
        } catch (IOException e) {
            var untrusted = "https".equalsIgnoreCase(server.getScheme()) ? ServerTrust.refusal(e, server, storedCa) : null;
            if (untrusted != null) {
                throw untrusted;
            }
            throw new CorralClientException("request to " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CorralClientException("interrupted", e);
        }
    }

    private Answer answer(HttpResponse<byte[]> response) {
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (response.statusCode() >= 400) {
            throw problem(response.statusCode(), type, response.body());
        }
        try {
            JsonNode body = response.body().length == 0 ? null : JSON.readTree(response.body());
            return new Answer(response.statusCode(), response.headers().firstValue("ETag").orElse(null), body);
        } catch (IOException e) {
            throw new CorralClientException("the server at " + server + " sent an answer that is not JSON: " + e.getMessage(), e);
        }
    }

    private static CorralClientException problem(int status, String contentType, byte[] body) {
        if (contentType.startsWith(Problem.MEDIA_TYPE)) {
            try {
                var p = JSON.readValue(body, Problem.class);
                return new ApiException(p);
            } catch (IOException ignored) {
                // fall through to the plain message
            }
        }
        return new CorralClientException("the server answered HTTP " + status);
    }

    /** An error the API reported as problem+json. */
    public static final class ApiException extends CorralClientException {
        private final Problem problem;

        ApiException(Problem problem) {
            super(problem.detail() == null ? problem.title() + " (" + problem.status() + ")" : problem.detail() + " (" + problem.status() + " " + problem.title() + ")");
            this.problem = problem;
        }

        public Problem problem() {
            return problem;
        }
    }
}
