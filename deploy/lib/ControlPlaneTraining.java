import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * The training run of the control plane's ahead-of-time cache (deploy/lib/aot.sh): what a control plane
 * does for its users, through its REST API, long enough for the JVM to record which classes it loads and how its hot
 * methods behave (JEP 483/515). A cloud's day in small: nodes register and heartbeat, images and instance types are
 * made, VMs are created (most placed, some Pending), read, listed, stopped, started and deleted, events and quotas
 * read, and requests refused for bad input. Not a benchmark: it prints what it did and exits non-zero only when the
 * control plane answered something it should not have.
 *
 * <p>Usage: java ControlPlaneTraining.java http://127.0.0.1:PORT [scale] (the admin token in $CORRAL_TOKEN; scale, default
 * 1, multiplies the numbers of nodes and VMs: ControlPlaneTrainingIT runs it small against the tests' server).
 */
public class ControlPlaneTraining {

    static int NODES = 200;
    static int VMS = 4_000;
    static final int IN_FLIGHT = 24;

    static HttpClient http;
    static URI api;
    static final AtomicInteger unexpected = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        api = URI.create(args[0]);
        double scale = args.length > 1 ? Double.parseDouble(args[1]) : 1;
        NODES = Math.max(3, (int) Math.round(NODES * scale));
        VMS = Math.max(100, (int) Math.round(VMS * scale));
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String run = Long.toString(System.currentTimeMillis(), 36);
        long t0 = System.nanoTime();

        byte[] kernel = ("training kernel " + run).getBytes();
        call("POST", "/v1/blobs", "application/octet-stream", kernel, 201);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(kernel));
        call("POST", "/v1/images", json("{'metadata':{'name':'training-%s'},'spec':{'kernel':{'sha256':'%s'},'cmdline':'console=ttyS0'}}",
                run, sha), 201);
        call("POST", "/v1/instancetypes", json("{'metadata':{'name':'training-%s'},'spec':{'vcpus':2,'memoryMiB':2048}}", run), 201);
        call("POST", "/v1/projects", json("{'metadata':{'name':'training-%s'}}", run), 201);
        call("PUT", "/v1/projects/training-" + run + "/quota", json("{'vcpus':100000,'instances':100000}"), 200);
        call("POST", "/v1/images?project=training-" + run, json("{'metadata':{'name':'training-%s'},'spec':{'kernel':{'sha256':'%s'}}}",
                run, sha), 201);

        parallel(NODES, i -> () -> call("PUT", "/v1/nodes/training-" + run + "-" + i, json(
                "{'labels':{'pool':'training-%s','zone':'z%d'},'accelerator':'kvm-hardware','capacity':{'vcpus':32,'memoryMiB':131072}}",
                run, i % 3), 201));
        parallel(NODES, i -> () -> call("POST", "/v1/nodes/training-" + run + "-" + i + "/heartbeat", null, 200, 204));

        // Creates: most fit (in the default project and the training one), some name a pool no node is in and
        // stay Pending, some use the instance type; a few bodies are refused.
        parallel(VMS, i -> () -> {
            String project = i % 4 == 0 ? "?project=training-" + run : "";
            String pool = i % 50 == 7 ? "nowhere-" + run : "training-" + run;
            String shape = i % 5 == 0 ? "'instanceType':'training-" + run + "'" : "'vcpus':1,'memoryMiB':" + (256 << (i % 3));
            if (i % 97 == 0) {
                call("POST", "/v1/vms" + project, json("{'metadata':{'name':'Bad_Name'},'spec':{'image':'x','vcpus':-1}}"), 400);
            }
            if (i % 89 == 0) {
                call("POST", "/v1/vms" + project, json("{'metadata':{'name':'vm-%d'},'spec':{'image':'missing-%s','vcpus':1,'memoryMiB':256}}",
                        i, run), 422);
            }
            call("POST", "/v1/vms" + project, json("{'metadata':{'name':'training-%s-%d','labels':{'app':'a%d','tier':'t%d'}},"
                    + "'spec':{'image':'training-%s',%s,'nodeSelector':{'pool':'%s'}}}", run, i, i % 10, i % 3, run, shape, pool), 201);
        });

        parallel(VMS / 4, i -> () -> {
            int n = i * 4 + 1;
            call("GET", "/v1/vms/training-" + run + "-" + n, null, 200);
            call("GET", "/v1/events?involvedObject=vm/training-" + run + "-" + n, null, 200);
        });
        for (String page = "/v1/vms?limit=200"; page != null; ) {
            String body = call("GET", page, null, 200);
            int at = body.indexOf("\"continue\":\"");
            page = at < 0 ? null : "/v1/vms?limit=200&continue=" + body.substring(at + 12, body.indexOf('"', at + 12));
        }
        call("GET", "/v1/vms?labelSelector=app%3Da3,tier!%3Dt1", null, 200);
        call("GET", "/v1/nodes", null, 200);
        call("GET", "/v1/projects/training-" + run + "/quota", null, 200);
        call("GET", "/v1/usage", null, 200);

        parallel(VMS / 8, i -> () -> {
            String name = "training-" + run + "-" + (i * 8 + 1);
            call("POST", "/v1/vms/" + name + "/stop", null, 200);
            call("POST", "/v1/vms/" + name + "/start", null, 200);
            call("POST", "/v1/vms/" + name + "/restart", null, 200);
        });
        parallel(VMS / 2, i -> () -> call("DELETE", "/v1/vms/training-" + run + "-" + (i * 2 + 1), null, 200));
        parallel(NODES, i -> () -> call("POST", "/v1/nodes/training-" + run + "-" + i + "/cordon", null, 200));
        call("GET", "/v1/audit?limit=500", null, 200);

        System.out.printf("training: %d nodes, %d VM creates, reads, actions and deletes in %.1f s; %d unexpected answers%n",
                NODES, VMS, (System.nanoTime() - t0) / 1e9, unexpected.get());
        System.exit(unexpected.get() == 0 ? 0 : 1);
    }

    /** JSON written with single quotes, for readability here. */
    static byte[] json(String template, Object... args) {
        return template.formatted(args).replace('\'', '"').getBytes();
    }

    static String call(String method, String path, byte[] body, int... expected) {
        return call(method, path, "application/json", body, expected);
    }

    static String call(String method, String path, String type, byte[] body, int... expected) {
        var request = HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + System.getenv("CORRAL_TOKEN"))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            request.header("Content-Type", type);
        }
        try {
            var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            for (int status : expected) {
                if (response.statusCode() == status) {
                    return response.body();
                }
            }
            if (unexpected.incrementAndGet() <= 5) {
                System.err.printf("training: %s %s answered %d: %.300s%n", method, path, response.statusCode(), response.body());
            }
            return "";
        } catch (Exception e) {
            if (unexpected.incrementAndGet() <= 5) {
                System.err.printf("training: %s %s failed: %s%n", method, path, e);
            }
            return "";
        }
    }

    /** Runs {@code count} calls with {@link #IN_FLIGHT} of them at a time. */
    static void parallel(int count, IntFunction<Runnable> work) throws InterruptedException {
        var slots = new Semaphore(IN_FLIGHT);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                slots.acquire();
                var task = work.apply(i);
                threads.execute(() -> {
                    try {
                        task.run();
                    } finally {
                        slots.release();
                    }
                });
            }
        }
    }
}
