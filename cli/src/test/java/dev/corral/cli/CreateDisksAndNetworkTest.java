package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code corral create vm} disk and network flags, {@code corral create image}, and the wide VM table. */
class CreateDisksAndNetworkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @TempDir
    Path dir;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** A stand-in API: blobs get a fake sha256, creates echo the body, lists answer {@code list}. */
    private String serve(String list) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
                byte[] in = exchange.getRequestBody().readAllBytes();
                String answer;
                int status = 200;
                if (exchange.getRequestURI().getPath().equals("/v1/blobs")) {
                    answer = "{\"sha256\": \"%064x\", \"size\": %d}".formatted(in.length, in.length);
                    status = 201;
                } else if (exchange.getRequestMethod().equals("POST")) {
                    bodies.add(JSON.readTree(in));
                    answer = new String(in, StandardCharsets.UTF_8);
                    status = 201;
                } else {
                    answer = list;
                }
                json(exchange, status, answer);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void json(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private int run(String... args) {
        return Corral.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void createVmSendsBootSizeVolumesInOrderAndNetwork() throws IOException {
        String url = serve("{}");
        int exit = run("create", "vm", "db-1", "--image", "debian", "-t", "c1.medium", "--disk-size", "20", "--volume", "data=100",
                "--volume", "logs=5Gi", "--network", "attached", "--server", url);
        assertThat(err.toString()).isEmpty();
        assertThat(exit).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).isEqualTo("vm/db-1 created\n");
        var spec = bodies.getFirst().path("spec");
        assertThat(spec.path("disks").toString())
                .isEqualTo("{\"bootSizeGiB\":20,\"volumes\":[{\"name\":\"data\",\"sizeGiB\":100},{\"name\":\"logs\",\"sizeGiB\":5}]}");
        assertThat(spec.path("network").asText()).isEqualTo("attached");
    }

    @Test
    void createVmWithoutDiskFlagsSendsNoDisks() {
        assertThat(run("create", "vm", "plain", "--image", "i", "-t", "c1.small", "--dry-run", "-o", "json")).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).doesNotContain("disks").doesNotContain("network");
    }

    @Test
    void badDiskAndNetworkValuesAreOneLineUsageErrors() {
        for (var args : List.of(
                List.of("--volume", "data"), List.of("--volume", "data=big"), List.of("--volume", "=5"),
                List.of("--network", "bridged"), List.of("--disk-size", "ten"), List.of("--disk-size", "0"))) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);
            var all = new java.util.ArrayList<>(List.of("create", "vm", "x", "--image", "i", "-t", "c1.small", "--dry-run"));
            all.addAll(args);
            assertThat(run(all.toArray(String[]::new))).as("%s", args).isEqualTo(Corral.EXIT_USAGE);
            assertThat(err.toString().strip()).as("%s", args).startsWith("error: ").contains(args.getFirst()).doesNotContain("\n");
            assertThat(out.toString()).isEmpty();
        }
    }

    @Test
    void createImageUploadsItsFilesAndDetectsQcow2() throws IOException {
        String url = serve("{}");
        Path kernel = Files.write(dir.resolve("vmlinuz"), new byte[100]);
        Path disk = Files.write(dir.resolve("root.img"), ByteBuffer.allocate(512).putInt(0, 0x514649fb).array());
        int exit = run("create", "image", "deb", "--kernel", kernel.toString(), "--disk", disk.toString(), "--cmdline", "console=ttyS0",
                "--server", url);
        assertThat(err.toString()).isEmpty();
        assertThat(exit).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).isEqualTo("image/deb created\n");
        assertThat(requests).containsExactly("POST /v1/blobs", "POST /v1/blobs", "POST /v1/images?project=default");
        var spec = bodies.getFirst().path("spec");
        assertThat(spec.path("kernel").path("sha256").asText()).isEqualTo("%064x".formatted(100));
        assertThat(spec.path("disk").path("sha256").asText()).isEqualTo("%064x".formatted(512));
        assertThat(spec.path("disk").path("format").asText()).isEqualTo("qcow2");
    }

    @Test
    void createImageTakesUploadedShasAndAnExplicitFormat() {
        String sha = "ab".repeat(32);
        assertThat(run("create", "image", "deb", "--kernel", "sha256:" + sha, "--disk", "sha256:" + sha, "--disk-format", "raw",
                "--dry-run", "-o", "json")).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).contains("\"format\" : \"raw\"").contains(sha);
        out.getBuffer().setLength(0);
        assertThat(run("create", "image", "deb", "--kernel", "sha256:" + sha, "--disk", "sha256:" + sha, "--dry-run", "-o", "json"))
                .isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).doesNotContain("format");
    }

    @Test
    void badImageFlagsAreOneLineUsageErrors() {
        String sha = "sha256:" + "ab".repeat(32);
        for (var args : List.of(
                List.of("--kernel", sha, "--disk", sha, "--disk-format", "vmdk"),
                List.of("--kernel", sha, "--disk-format", "raw"),
                List.of("--kernel", dir.resolve("missing").toString()))) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);
            var all = new java.util.ArrayList<>(List.of("create", "image", "x", "--dry-run"));
            all.addAll(args);
            assertThat(run(all.toArray(String[]::new))).as("%s", args).isEqualTo(Corral.EXIT_USAGE);
            assertThat(err.toString().strip()).as("%s", args).startsWith("error: ").doesNotContain("\n");
        }
    }

    @Test
    void wideVmTableShowsDiskIpAndMac() throws IOException {
        String url = serve("""
                {"kind": "VMList", "metadata": {}, "items": [
                 {"kind": "VM", "metadata": {"name": "web-1", "creationTimestamp": "2026-01-01T00:00:00Z"},
                  "spec": {"image": "deb"},
                  "status": {"phase": "Running", "node": "n1", "resources": {"vcpus": 1, "memoryMiB": 512, "diskGiB": 115},
                             "network": {"mac": "02:aa:bb:cc:dd:ee", "ip": "10.88.0.2", "subnet": "10.88.0.0/24"}}},
                 {"kind": "VM", "metadata": {"name": "web-2", "creationTimestamp": "2026-01-01T00:00:00Z"},
                  "spec": {"image": "deb"}, "status": {"phase": "Pending", "resources": {"vcpus": 1, "memoryMiB": 512}}}]}""");
        assertThat(run("get", "vms", "-o", "wide", "--server", url)).isEqualTo(Corral.EXIT_OK);
        var lines = out.toString().lines().toList();
        assertThat(lines.getFirst()).contains("DISK", "IPS", "MAC");
        assertThat(lines.get(1)).contains("115Gi", "10.88.0.2", "02:aa:bb:cc:dd:ee");
        assertThat(lines.get(2)).contains("<none>");
    }

    @Test
    void imageTableShowsTheDisksFormatAndTheSizeTheGuestSees() throws IOException {
        String url = serve("""
                {"kind": "ImageList", "metadata": {}, "items": [
                 {"kind": "Image", "metadata": {"name": "small", "creationTimestamp": "2026-01-01T00:00:00Z"},
                  "spec": {"kernel": {"sha256": "%1$s"}, "disk": {"sha256": "%1$s", "format": "raw", "virtualSizeBytes": 67108864}}},
                 {"kind": "Image", "metadata": {"name": "big", "creationTimestamp": "2026-01-01T00:00:00Z"},
                  "spec": {"kernel": {"sha256": "%1$s"}, "disk": {"sha256": "%1$s", "format": "qcow2", "virtualSizeBytes": 3221225473}}},
                 {"kind": "Image", "metadata": {"name": "none", "creationTimestamp": "2026-01-01T00:00:00Z"},
                  "spec": {"kernel": {"sha256": "%1$s"}}}]}""".formatted("ab".repeat(32)));
        assertThat(run("get", "images", "--server", url)).isEqualTo(Corral.EXIT_OK);
        var lines = out.toString().lines().toList();
        assertThat(lines.get(1)).startsWith("small").contains("raw 64Mi");
        assertThat(lines.get(2)).startsWith("big").contains("qcow2 4Gi");
        assertThat(lines.get(3)).startsWith("none").contains("<none>");
    }

    @Test
    void usageTableHasADiskColumnOnlyWhenSomeGroupHeldDisk() throws IOException {
        String url = serve("""
                {"kind": "UsageReport", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z", "groupBy": "project", "items": [
                 {"project": "shop", "runningSeconds": 3600, "stoppedSeconds": 0, "vcpuSeconds": 3600, "memoryGiBSeconds": 7200,
                  "diskGiBSeconds": 360000, "deviceSeconds": {}, "flags": []},
                 {"project": "lab", "runningSeconds": 60, "stoppedSeconds": 0, "vcpuSeconds": 60, "memoryGiBSeconds": 60,
                  "diskGiBSeconds": 0, "deviceSeconds": {}, "flags": []}]}""");
        assertThat(run("usage", "--server", url)).isEqualTo(Corral.EXIT_OK);
        var lines = out.toString().lines().toList();
        assertThat(lines.getFirst()).contains("GIB-SECONDS   DISK-GIB-SECONDS");
        assertThat(lines.get(1)).contains("7200          360000");
        assertThat(lines.get(2)).contains("60            0");
        server.stop(0);
        out.getBuffer().setLength(0);
        url = serve("""
                {"kind": "UsageReport", "from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z", "groupBy": "project", "items": [
                 {"project": "lab", "runningSeconds": 60, "stoppedSeconds": 0, "vcpuSeconds": 60, "memoryGiBSeconds": 60,
                  "diskGiBSeconds": 0, "deviceSeconds": {}, "flags": []}]}""");
        assertThat(run("usage", "--server", url)).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).doesNotContain("DISK");
    }
}
