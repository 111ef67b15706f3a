package dev.corral.agent.controlplane;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.api.Image;

/** The agent's calls to the control plane's API (openapi.yaml): assignments, images and blobs. */
public final class ControlPlaneClient {

    /** The control plane answered with an error, or not at all. */
    public static final class ControlPlaneException extends IOException {
        private final int status;

        ControlPlaneException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** The HTTP status, or 0 when there was no answer. */
        public int status() {
            return status;
        }
    }

    /** One change from the assignments watch: {@code object} is a Vm or a Container as JSON. */
    public record Change(String type, String resourceVersion, JsonNode object) {
    }

    private final URI base;
    private final ObjectMapper json;
    private final HttpClient http;
    private final java.util.Optional<Path> ca;

    private final String token;

    /**
     * @param token the node's bearer token; none (null) only against a control plane that asks for none
     * @param ca    the CA file an https control plane's certificate must verify against; empty: the JDK's trust store
     */
    public ControlPlaneClient(URI base, ObjectMapper json, String token, java.util.Optional<Path> ca) {
        this.base = URI.create(base.toString().replaceAll("/+$", ""));
        this.json = json;
        this.token = token;
        this.ca = ca;
        this.http = ControlPlaneTls.client(ca);
    }

    /** Sends a request; a refused TLS handshake becomes one sentence that says why (no status: there was no answer). */
    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) throws IOException, InterruptedException {
        try {
            return http.send(request, body);
        } catch (IOException e) {
            var refused = ControlPlaneTls.refusal(e, base, ca);
            if (refused.isPresent()) {
                throw new ControlPlaneException(0, refused.get());
            }
            throw e;
        }
    }

    /**
     * Everything placed on the node (each a Vm or a Container as JSON, exactly as the watch sends them), and the
     * resourceVersion a watch continues from.
     */
    public Assignments assignments(String node) throws IOException, InterruptedException {
        var response = send(get("/v1/nodes/" + encode(node) + "/assignments").timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        check(response.statusCode(), response.body(), "listing the assignments of node " + node);
        var list = json.readTree(response.body());
        var objects = new ArrayList<JsonNode>();
        for (var item : list.path("items")) {
            objects.add(item); // a Vm or a Container, whole
        }
        return new Assignments(list.path("metadata").path("resourceVersion").asText(), objects);
    }

    public record Assignments(String resourceVersion, List<JsonNode> objects) {
    }

    /**
     * Watches the node's assignments from {@code resourceVersion}, handing each change to {@code changes}, until the
     * server ends the stream (after {@code timeoutSeconds}) or it breaks. A 410 means the resourceVersion is too old:
     * list again.
     */
    public void watchAssignments(String node, String resourceVersion, int timeoutSeconds, Consumer<Change> changes)
            throws IOException, InterruptedException {
        var request = get("/v1/nodes/" + encode(node) + "/assignments?watch=true&resourceVersion=" + encode(resourceVersion)
                + "&timeoutSeconds=" + timeoutSeconds).header("Accept", "text/event-stream").build();
        var response = send(request, HttpResponse.BodyHandlers.ofInputStream());
        InputStream stream = response.body();
        // The server ends the watch after timeoutSeconds; a control plane that vanished without closing the
        // connection must not leave this read blocked for ever (and the agent without its resyncs).
        var watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(Duration.ofSeconds(timeoutSeconds + 30L));
                stream.close();
            } catch (InterruptedException | IOException e) {
                // the watch ended first
            }
        });
        try (InputStream body = stream) {
            if (response.statusCode() != 200) {
                check(response.statusCode(), body.readAllBytes(), "watching the assignments of node " + node);
            }
            var reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            String id = null;
            String type = null;
            var data = new StringBuilder();
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (type != null && !data.isEmpty()) {
                        var event = json.readTree(data.toString());
                        changes.accept(new Change(type, id, event.path("object")));
                    }
                    id = null;
                    type = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).strip());
                }
                // ":" lines are comments (keepalives).
            }
        } finally {
            watchdog.interrupt();
        }
    }

    public Image image(String project, String name) throws IOException, InterruptedException {
        var response = send(get("/v1/images/" + encode(name) + "?project=" + encode(project)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        check(response.statusCode(), response.body(), "reading image " + name + " of project " + project);
        return json.readValue(response.body(), Image.class);
    }

    /**
     * How long a blob download may receive nothing before it is abandoned: a control plane or a network that went
     * silent mid-body would otherwise hold the reconciler's worker for good (the request's timeout covers only the
     * wait for the answer's headers), and every start waiting for that blob with it.
     */
    static final Duration DOWNLOAD_STALL = Duration.ofSeconds(60);

    /** Downloads a blob into {@code target} (the caller verifies its sha256). */
    public void downloadBlob(String sha256, Path target) throws IOException, InterruptedException {
        downloadBlob(sha256, target, DOWNLOAD_STALL);
    }

    void downloadBlob(String sha256, Path target, Duration stall) throws IOException, InterruptedException {
        var response = send(get("/v1/blobs/" + encode(sha256)).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                check(response.statusCode(), body.readNBytes(1 << 16), "downloading blob " + sha256);
            }
            var lastArrival = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
            var stalled = new java.util.concurrent.atomic.AtomicBoolean();
            var watchdog = Thread.ofVirtual().name("blob-stall-" + sha256.substring(0, 12)).start(() -> {
                try {
                    for (long idle; (idle = System.nanoTime() - lastArrival.get()) < stall.toNanos(); ) {
                        Thread.sleep(Duration.ofNanos(stall.toNanos() - idle));
                    }
                    stalled.set(true);
                    body.close(); // the blocked read below ends with an IOException
                } catch (InterruptedException | IOException e) {
                    // the download ended first
                }
            });
            try (var out = Files.newOutputStream(target)) {
                var buffer = new byte[1 << 16];
                for (int n; (n = body.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    lastArrival.set(System.nanoTime());
                }
            } catch (IOException e) {
                if (stalled.get()) {
                    throw new ControlPlaneException(0, "downloading blob " + sha256 + ": nothing arrived for "
                            + stall.toMillis() / 1000.0 + " s; abandoned");
                }
                throw e;
            } finally {
                watchdog.interrupt();
            }
        }
    }

    private HttpRequest.Builder get(String path) {
        return NodeToken.authorize(HttpRequest.newBuilder(URI.create(base + path)).GET(), token);
    }

    private void check(int status, byte[] body, String what) throws ControlPlaneException {
        if (status / 100 == 2) {
            return;
        }
        String detail;
        try {
            var problem = json.readTree(body);
            detail = problem.path("detail").asText(problem.path("title").asText(""));
        } catch (IOException e) {
            detail = "";
        }
        throw new ControlPlaneException(status, what + " answered HTTP " + status + (detail.isBlank() ? "" : ": " + detail));
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
