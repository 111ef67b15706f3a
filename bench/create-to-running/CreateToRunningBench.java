import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * create → Running on the local cloud (bench/create-to-running/run.sh starts it): registers the ticker kernel as image
 * {@code ticker}, then creates COUNT ticker VMs one after another; each is timed from its POST until a watch of the
 * VMs shows it Running, then deleted (and gone) before the next, so that the node never runs more than one.
 *
 * <p>Where the time goes, from the timestamps the system writes itself (one host, one clock): the {@code Scheduled}
 * condition (the control plane, inside the POST), the {@code starting} and {@code running} lifecycle events' CloudEvent
 * {@code time} (the agent, as it publishes them; they land in the {@code Running} condition), and when the bench's
 * watch saw each phase. The reference is the POST → 201 of the same creates: the API's floor.
 *
 * <p>Usage: java -cp JACKSON CreateToRunningBench.java http://127.0.0.1:18090 TICKER_KERNEL [count]
 */
public class CreateToRunningBench {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What the watch saw of one VM: when (bench clock, nanos) each phase first appeared, and the objects. */
    static final class Seen {
        final Map<String, Long> phaseNanos = new ConcurrentHashMap<>();
        final Map<String, JsonNode> phaseObject = new ConcurrentHashMap<>();
        final CountDownLatch running = new CountDownLatch(1);
        final CountDownLatch deleted = new CountDownLatch(1);
    }

    static final Map<String, Seen> SEEN = new ConcurrentHashMap<>();

    public static void main(String[] args) throws Exception {
        URI api = URI.create(args[0]);
        byte[] kernel = Files.readAllBytes(Path.of(args[1]));
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        String run = Long.toString(System.currentTimeMillis(), 36);

        send("POST", api.resolve("/v1/blobs"), "application/octet-stream", kernel, 201, 200);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(kernel));
        send("POST", api.resolve("/v1/images"), "application/json",
                ("{\"metadata\":{\"name\":\"ticker\"},\"spec\":{\"kernel\":{\"sha256\":\"" + sha + "\"},\"cmdline\":\"interval=1000\"}}")
                        .getBytes(), 201);

        var watching = new CountDownLatch(1);
        Thread.ofPlatform().daemon().name("bench-watch").start(() -> watch(api, watching));
        if (!watching.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the VM watch did not open");
        }

        // Per VM, ms from the POST: 201, Scheduled condition, starting event, running event, Running seen; and
        // Starting seen (the starting event's own trip through the journal and Kafka).
        var rows = new ArrayList<double[]>();
        for (int i = 0; i < count; i++) {
            String name = "c2r-" + run + "-" + i;
            var seen = new Seen();
            SEEN.put(name, seen);
            Instant wall0 = Instant.now();
            long t0 = System.nanoTime();
            send("POST", api.resolve("/v1/vms"), "application/json",
                    ("{\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"image\":\"ticker\",\"vcpus\":1,\"memoryMiB\":64}}").getBytes(), 201);
            long created = System.nanoTime();
            if (!seen.running.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " did not run within 60 s; phases seen: " + seen.phaseNanos.keySet());
            }
            var running = seen.phaseObject.get("Running");
            var starting = seen.phaseObject.get("Starting");
            rows.add(new double[] {
                    ms(created - t0),
                    conditionMs(running, "Scheduled", wall0),
                    starting == null ? Double.NaN : conditionMs(starting, "Running", wall0),
                    conditionMs(running, "Running", wall0),
                    ms(seen.phaseNanos.get("Running") - t0),
                    seen.phaseNanos.containsKey("Starting") ? ms(seen.phaseNanos.get("Starting") - t0) : Double.NaN });
            send("DELETE", api.resolve("/v1/vms/" + name), null, null, 200, 202, 204);
            if (!seen.deleted.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " was not gone within 60 s of its DELETE");
            }
            SEEN.remove(name);
        }

        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("machine: %d cores, load average %s; %d ticker VMs created one after another%n", cores,
                Files.readString(Path.of("/proc/loadavg")).trim(), count);
        System.out.println("first VM (image fetched by the agent): " + row(rows.getFirst()));
        var warm = rows.subList(Math.min(1, rows.size() - 1), rows.size());
        System.out.println("steps, medians over the rest (ms; each from the step named in brackets):");
        step(warm, "Scheduled condition written (control plane)", 1, -1, "POST");
        step(warm, "POST answered 201", 0, -1, "POST");
        step(warm, "starting event (agent: watch delivery, work queue)", 2, 1, "Scheduled");
        step(warm, "running event (agent: image, engine start)", 3, 2, "starting");
        step(warm, "Running seen by a watch (journal, Kafka, consumer, status)", 4, 3, "running event");
        step(warm, "Running seen by a watch", 4, -1, "POST");
        double[] startingTrip = warm.stream().mapToDouble(r -> r[5] - r[2]).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (startingTrip.length > 0) {
            System.out.printf("  %-62s %7.1f  (from starting event; p99 %.1f)%n", "Starting seen by a watch (the starting event's trip)",
                    pct(startingTrip, 0.50), pct(startingTrip, 0.99));
        }
        double[] total = rows.stream().mapToDouble(r -> r[4]).sorted().toArray();
        double[] post = rows.stream().mapToDouble(r -> r[0]).sorted().toArray();
        System.out.printf("POST → 201 (reference, the API's floor): p50 %.1f ms, p99 %.1f ms%n", pct(post, 0.50), pct(post, 0.99));
        System.out.printf("create → Running: p50 %.1f ms, p99 %.1f ms, max %.1f ms (all %d, the first included)%n",
                pct(total, 0.50), pct(total, 0.99), total[total.length - 1], total.length);
        System.out.printf("create-to-running p50/POST-201 p50 = %.1f%n", pct(total, 0.50) / pct(post, 0.50));
        System.out.printf("create-to-running p99/goal(0.5s) = %.2f%n", pct(total, 0.99) / 500);
    }

    static void step(List<double[]> rows, String what, int column, int from, String fromName) {
        double[] v = rows.stream().mapToDouble(r -> r[column] - (from < 0 ? 0 : r[from])).filter(d -> !Double.isNaN(d)).sorted().toArray();
        System.out.printf("  %-62s %7.1f  (from %s; p99 %.1f)%n", what, pct(v, 0.50), fromName, pct(v, 0.99));
    }

    static String row(double[] r) {
        return String.format("201 %.0f ms, Scheduled %.0f, starting %.0f (seen %.0f), running %.0f, Running seen %.0f", r[0], r[1], r[2],
                r[5], r[3], r[4]);
    }

    /** Watches every VM (from now) and notes when each phase of a bench VM first appears. */
    static void watch(URI api, CountDownLatch open) {
        try {
            var request = HttpRequest.newBuilder(api.resolve("/v1/vms?watch=true&timeoutSeconds=3600"))
                    .header("Accept", "text/event-stream").header("Authorization", "Bearer " + System.getenv("CORRAL_TOKEN")).build();
            var response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
            var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
            String type = null;
            for (String line; (line = reader.readLine()) != null; ) {
                long now = System.nanoTime();
                if (line.startsWith(": watching")) {
                    open.countDown();
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    var object = JSON.readTree(line.substring(6)).path("object");
                    var seen = SEEN.get(object.path("metadata").path("name").asText());
                    if (seen == null) {
                        continue;
                    }
                    if ("DELETED".equals(type)) {
                        seen.deleted.countDown();
                        continue;
                    }
                    String phase = object.path("status").path("phase").asText();
                    if (seen.phaseNanos.putIfAbsent(phase, now) == null) {
                        seen.phaseObject.put(phase, object);
                    }
                    if ("Running".equals(phase)) {
                        seen.running.countDown();
                    }
                }
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }

    /** A condition's lastTransitionTime, in ms after {@code from}. */
    static double conditionMs(JsonNode vm, String type, Instant from) {
        for (JsonNode c : vm.path("status").path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return Duration.between(from, Instant.parse(c.path("lastTransitionTime").asText())).toNanos() / 1e6;
            }
        }
        return Double.NaN;
    }

    static double median(List<double[]> rows, int column) {
        double[] v = rows.stream().mapToDouble(r -> r[column]).filter(d -> !Double.isNaN(d)).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    static double pct(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p * sorted.length) - 1))];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    static void send(String method, URI uri, String contentType, byte[] body, int... ok) throws Exception {
        var builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + System.getenv("CORRAL_TOKEN"));
        if (body != null) {
            builder.header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        } else {
            builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        var response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        if (Arrays.stream(ok).noneMatch(s -> s == response.statusCode())) {
            throw new IllegalStateException(method + " " + uri + ": " + response.statusCode() + " " + response.body());
        }
    }
}
