package dev.corral.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * Replays the bad-request corpus (src/test/resources/bad-requests.yaml, plus the mutations every JSON body and every
 * write operation get) against every write operation of openapi.yaml, over a plain socket so that each request is
 * exactly as written: no client adds a Content-Type or fixes a length. Every answer must be a 4xx
 * application/problem+json whose errors name the field (and never a Java type), and nothing may be stored.
 */
@QuarkusTest
class BadRequestCorpusIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern JAVA_NAMES = Pattern.compile("dev\\.corral|java\\.|com\\.fasterxml|\\$[A-Z]|class ");
    private static final List<String> WRITES = List.of("post", "put", "patch", "delete");
    private static final String LONG = "x".repeat(9000);
    /** For requests whose exact 4xx is the HTTP layer's to choose. */
    private static final int ANY_4XX = -4;

    private final String name = Api.unique("bad");

    @Inject
    DataSource db;

    /** One request of the corpus and what its answer must say. */
    record Request(String label, String method, String path, Map<String, String> headers, byte[] body, int status, String field) {
    }

    @Test
    void everyBadRequestIsAProblemNamingItsFieldAndStoresNothing() throws Exception {
        JsonNode contract = new ObjectMapper(new YAMLFactory()).readTree(Path.of("../openapi.yaml").toFile()).get("paths");
        JsonNode corpus = new ObjectMapper(new YAMLFactory()).readTree(getClass().getResource("/bad-requests.yaml"));
        var requests = new ArrayList<Request>();
        var writeOperations = new TreeSet<String>();
        contract.properties().forEach(path -> path.getValue().properties().forEach(op -> {
            if (WRITES.contains(op.getKey())) {
                String operation = op.getKey().toUpperCase() + " " + path.getKey();
                writeOperations.add(operation);
                boolean json = op.getValue().path("requestBody").path("content").has("application/json");
                requests.addAll(json ? jsonBodyCases(operation, corpus.get(operation)) : requestCases(operation, op.getValue()));
            }
        }));
        requests.addAll(queryCases());
        requests.add(new Request("odd: no Host header", "POST", "/v1/vms/" + name + "/start", Map.of("Host", ""), null, 400, null));
        // Not here: a request line that is no URI at all (/v1/vms/%zz) gets Quarkus' bare 400 before any route runs
        // (VertxHttpRecorder's URI check); docs/0008 says so.
        requests.add(new Request("odd: a 30 KB header", "POST", "/v1/vms/" + name + "/start", Map.of("X-Padding", "p".repeat(30_000)),
                null, ANY_4XX, null));

        var failures = new ArrayList<String>();
        for (Request r : requests) {
            String failure;
            try {
                failure = check(r);
            } catch (IOException e) {
                failure = "no answer: " + e;
            }
            if (failure != null) {
                failures.add(r.label() + ": " + failure);
            }
            if (stored() != 0) {
                failures.add(r.label() + ": something was stored");
                break;
            }
        }
        assertThat(failures).isEmpty();
        assertThat(writeOperations).allSatisfy(op -> assertThat(requests).anyMatch(r -> r.label().startsWith(op + " ")));
        assertThat(requests).hasSizeGreaterThan(150);
    }

    /** The corpus's cases for one operation, and the mutations every JSON body gets. */
    private List<Request> jsonBodyCases(String operation, JsonNode entry) {
        assertThat(entry).as("bad-requests.yaml has no entry for %s, a write operation with a JSON body", operation).isNotNull();
        String method = operation.substring(0, operation.indexOf(' '));
        String path = concrete(operation.substring(operation.indexOf(' ') + 1));
        ObjectNode valid = (ObjectNode) named(entry.get("body"));
        String validText = valid.toString();
        var out = new ArrayList<Request>();
        for (JsonNode c : entry.get("cases")) {
            if (c.has("raw")) {
                out.add(json(operation + " raw " + c.get("field").asText(), method, path, c.get("raw").asText().replace("NAME", name),
                        400, c.get("field").asText()));
            } else {
                String field = c.path("field").asText(c.get("set").asText());
                ObjectNode body = valid.deepCopy();
                set(body, c.get("set").asText(), c.get("to"));
                out.add(json(operation + " " + c.get("set").asText() + "=" + c.get("to"), method, path, body.toString(), 400, field));
            }
        }
        String firstKey = valid.fieldNames().next();
        out.add(json(operation + " trailing value", method, path, validText + " {}", 400, "body"));
        out.add(json(operation + " trailing text", method, path, validText + "\nand then some", 400, "body"));
        out.add(json(operation + " duplicate key", method, path,
                "{\"" + firstKey + "\": " + valid.get(firstKey) + ", " + validText.substring(1), 400, firstKey));
        out.add(json(operation + " unknown field", method, path, "{\"bogus\": 1, " + validText.substring(1), 400, "bogus"));
        out.add(json(operation + " foreign kind", method, path, "{\"kind\": \"Bogus\", " + without(valid, "kind").substring(1), 400, "kind"));
        out.add(json(operation + " foreign apiVersion", method, path,
                "{\"apiVersion\": \"corral/v9\", " + without(valid, "apiVersion").substring(1), 400, "apiVersion"));
        out.add(json(operation + " array", method, path, "[" + validText + "]", 400, "body"));
        out.add(json(operation + " string", method, path, "\"" + name + "\"", 400, "body"));
        out.add(json(operation + " null", method, path, "null", 400, "body"));
        out.add(json(operation + " not JSON", method, path, validText.substring(0, validText.length() / 2), 400, null));
        out.add(new Request(operation + " no Content-Type", method, path, Map.of(), bytes(validText), 415, null));
        out.add(new Request(operation + " text/plain", method, path, Map.of("Content-Type", "text/plain"), bytes(validText), 415, null));
        out.add(new Request(operation + " declared 2 MiB", method, path,
                Map.of("Content-Type", "application/json", "Content-Length", String.valueOf(2 << 20)), null, 413, null));
        out.add(new Request(operation + " chunked 1.5 MiB", method, path,
                Map.of("Content-Type", "application/json", "Transfer-Encoding", "chunked"),
                bytes(validText + " ".repeat(3 << 19)), 413, null));
        out.add(uriTooLong(operation, method, path));
        return out;
    }

    /** Write operations without a JSON body: a body nobody declared, a URI too long, and for uploads the wrong type or size. */
    private List<Request> requestCases(String operation, JsonNode op) {
        String method = operation.substring(0, operation.indexOf(' '));
        String path = concrete(operation.substring(operation.indexOf(' ') + 1));
        var out = new ArrayList<Request>();
        out.add(new Request(operation + " body without Content-Type", method, path, Map.of(), bytes(name), 415, null));
        out.add(uriTooLong(operation, method, path));
        if (op.path("requestBody").path("content").has("application/octet-stream")) {
            out.add(new Request(operation + " JSON to an upload", method, path, Map.of("Content-Type", "application/json"),
                    bytes("{\"name\": \"" + name + "\"}"), 415, null));
            out.add(new Request(operation + " declared 600 MB", method, path,
                    Map.of("Content-Type", "application/octet-stream", "Content-Length", "600000000"), null, 413, null));
        }
        return out;
    }

    /** The query parameters openapi.yaml types as integers and booleans, given as something else. */
    private List<Request> queryCases() {
        var out = new ArrayList<Request>();
        for (String collection : List.of("/v1/vms", "/v1/containers", "/v1/images", "/v1/instancetypes", "/v1/nodes")) {
            for (String query : List.of("limit=abc", "limit=1.5", "limit=0", "limit=1001", "limit=99999999999999999999",
                    "watch=maybe", "watch=1", "watch=true&timeoutSeconds=abc", "watch=true&timeoutSeconds=0")) {
                String field = query.contains("timeoutSeconds") ? "timeoutSeconds" : query.substring(0, query.indexOf('='));
                out.add(new Request("GET " + collection + "?" + query, "GET", collection + "?" + query, Map.of(), null, 400, field));
            }
        }
        for (String collection : List.of("/v1/vms", "/v1/containers", "/v1/images")) {
            out.add(new Request("GET " + collection + "?allProjects=maybe", "GET", collection + "?allProjects=maybe", Map.of(), null, 400,
                    "allProjects"));
        }
        out.add(new Request("GET /v1/events?limit=abc", "GET", "/v1/events?limit=abc", Map.of(), null, 400, "limit"));
        out.add(new Request("GET /v1/vms?timeoutSeconds=abc", "GET", "/v1/vms?timeoutSeconds=abc", Map.of(), null, 400, "timeoutSeconds"));
        for (String query : List.of("limit=abc", "watch=maybe", "timeoutSeconds=1.5")) {
            out.add(new Request("GET assignments?" + query, "GET", "/v1/nodes/" + name + "/assignments?" + query, Map.of(), null, 400,
                    query.substring(0, query.indexOf('='))));
        }
        return out;
    }

    private Request uriTooLong(String operation, String method, String path) {
        String longer = path.contains(name) ? path.replace(name, LONG) : path + "?project=" + LONG;
        return new Request(operation + " URI of 9 KB", method, longer, Map.of("Content-Type", "application/json"), bytes("{}"), 414, null);
    }

    private Request json(String label, String method, String path, String body, int status, String field) {
        return new Request(label, method, path, Map.of("Content-Type", "application/json", "Idempotency-Key", name), bytes(body), status, field);
    }

    private String concrete(String template) {
        return template.replace("{name}", name).replace("{sha256}", "0".repeat(64)).replace("{id}", "tok-" + "0".repeat(16));
    }

    private JsonNode named(JsonNode body) {
        try {
            return JSON.readTree(body.toString().replace("NAME", name));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String without(ObjectNode body, String field) {
        ObjectNode copy = body.deepCopy();
        copy.remove(field);
        return copy.toString();
    }

    /** Sets {@code path} (dotted) in {@code body} to {@code value}, making the objects on the way. */
    private static void set(ObjectNode body, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode at = body;
        for (int i = 0; i < parts.length - 1; i++) {
            at = at.get(parts[i]) instanceof ObjectNode o ? o : at.putObject(parts[i]);
        }
        at.set(parts[parts.length - 1], value);
    }

    /** Why the answer to {@code r} is wrong, or null when it is a 4xx problem naming the right field. */
    private String check(Request r) throws IOException {
        Answer answer = send(r);
        if (r.status() == ANY_4XX ? answer.status() / 100 != 4 : answer.status() != r.status()) {
            return "status " + answer.status() + ", not " + r.status() + ": " + answer.body();
        }
        if (!answer.contentType().startsWith("application/problem+json")) {
            return "status " + answer.status() + " with Content-Type '" + answer.contentType() + "': " + answer.body();
        }
        JsonNode problem = JSON.readTree(answer.body());
        if (problem.path("status").asInt() != answer.status() || !problem.path("type").asText().startsWith("https://corral.dev/problems/")
                || problem.path("title").asText().isEmpty() || problem.path("detail").asText().isEmpty()) {
            return "not a complete problem: " + answer.body();
        }
        if (JAVA_NAMES.matcher(answer.body()).find()) {
            return "names a Java type: " + answer.body();
        }
        if (r.field() != null) {
            var fields = new ArrayList<String>();
            problem.path("errors").forEach(e -> fields.add(e.path("field").asText()));
            if (!fields.contains(r.field())) {
                return "errors name " + fields + ", not " + r.field() + ": " + answer.body();
            }
            if (!problem.path("detail").asText().contains(r.field())) {
                return "the detail does not name " + r.field() + ": " + answer.body();
            }
        } else if (r.status() == 400 && r.body() != null && !(problem.path("errors") instanceof ArrayNode errors && !errors.isEmpty())) {
            return "no errors: " + answer.body();
        }
        return null;
    }

    /** Rows of any kind that the corpus's name, key or content could have left. */
    private int stored() throws SQLException {
        String like = name + "%";
        try (var c = db.getConnection(); var s = c.prepareStatement("""
                SELECT (SELECT count(*) FROM resource WHERE name LIKE ?) + (SELECT count(*) FROM node_capacity WHERE node LIKE ?)
                     + (SELECT count(*) FROM event WHERE involved_name LIKE ?) + (SELECT count(*) FROM idempotency_key WHERE key LIKE ?)
                     + (SELECT count(*) FROM blob WHERE sha256 IN (?, ?)) + (SELECT count(*) FROM token WHERE subject LIKE ?)""")) {
            for (int i = 1; i <= 4; i++) {
                s.setString(i, like);
            }
            s.setString(5, sha256(name));
            s.setString(6, sha256("{\"name\": \"" + name + "\"}"));
            s.setString(7, like);
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    record Answer(int status, String contentType, String body) {
    }

    /** One request on its own connection, bytes exactly as given; a declared length without a body sends none. */
    private static Answer send(Request r) throws IOException {
        try (var socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(20_000);
            var headers = new LinkedHashMap<>(r.headers());
            // An empty Host in the case means: send none.
            boolean host = !"".equals(headers.remove("Host"));
            var head = new StringBuilder(r.method() + " " + r.path() + " HTTP/1.1\r\n" + (host ? "Host: 127.0.0.1\r\n" : "")
                    + "Connection: close\r\nAccept: application/json, application/problem+json\r\n"
                    + "Authorization: Bearer " + ApiTokens.admin() + "\r\n");
            boolean chunked = "chunked".equals(headers.get("Transfer-Encoding"));
            if (r.body() != null && !chunked) {
                headers.putIfAbsent("Content-Length", String.valueOf(r.body().length));
            }
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            try {
                if (chunked) {
                    out.write((Integer.toHexString(r.body().length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(r.body());
                    out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else if (r.body() != null) {
                    out.write(r.body());
                }
                out.flush();
            } catch (IOException refusedMidway) {
                // The server may answer and close before it has read everything: its answer is still there to read.
            }
            return parse(socket.getInputStream().readAllBytes());
        }
    }

    private static Answer parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return new Answer(-1, "", text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        String contentType = "";
        boolean chunked = false;
        for (String line : lines) {
            String lower = line.toLowerCase();
            if (lower.startsWith("content-type:")) {
                contentType = line.substring(13).strip();
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        String body = text.substring(end + 4);
        return new Answer(status, contentType, chunked ? dechunk(body) : body);
    }

    private static String dechunk(String body) {
        var out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, eol).split(";")[0].strip(), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(body, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    private static String sha256(String content) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes(content)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

}
