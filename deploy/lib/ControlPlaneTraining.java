import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The training run of the control plane's ahead-of-time cache (deploy/lib/aot.sh): what a control plane
 * does for its users, through its REST API, long enough for the JVM to record which classes it loads and how its hot
 * methods behave (JEP 483/515). A cloud's day in small: nodes register and heartbeat, images and instance types are
 * made, VMs are created (most placed, some Pending), their nodes' agents report them starting and running on the
 * lifecycle topic (the status consumer and the usage meter fold those), they are read, listed, stopped, started and
 * deleted, events, quotas and usage read, and requests refused for bad input. Not a benchmark: it prints what it did
 * and exits non-zero only when the control plane answered something it should not have.
 *
 * <p>Usage: java -cp KAFKA_CLIENTS ControlPlaneTraining.java http://127.0.0.1:PORT [scale] (the admin token in
 * $CORRAL_TOKEN, the control plane's broker in $CORRAL_TRAINING_KAFKA; scale, default 1, multiplies the numbers of
 * nodes and VMs: ControlPlaneTrainingIT runs it small against the tests' server). deploy/lib/aot.sh puts the control
 * plane's own libraries on the class path.
 */
public class ControlPlaneTraining {

    static int NODES = 200;
    static int VMS = 4_000;
    static final int IN_FLIGHT = 24;

    static HttpClient http;
    static URI api;
    static final AtomicInteger unexpected = new AtomicInteger();
    /** The VMs created and placed: index to uid and node, for their agents' lifecycle events. */
    static final Map<Integer, String[]> placed = new ConcurrentHashMap<>();

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
            String vm = call("POST", "/v1/vms" + project, json("{'metadata':{'name':'training-%s-%d','labels':{'app':'a%d','tier':'t%d'}},"
                    + "'spec':{'image':'training-%s',%s,'nodeSelector':{'pool':'%s'}}}", run, i, i % 10, i % 3, run, shape, pool), 201);
            String uid = field(vm, "uid");
            String node = field(vm, "node");
            if (uid != null && node != null) {
                placed.put(i, new String[] {uid, node, i % 4 == 0 ? "training-" + run : "default", "training-" + run + "-" + i});
            }
        });

        // The agents report what they run: starting, running, then a heartbeat of each; the status consumer makes
        // them Running, the usage meter opens their intervals.
        String kafka = System.getenv("CORRAL_TRAINING_KAFKA");
        int published = 0;
        if (kafka != null && !kafka.isBlank() && placed.isEmpty()) {
            unexpected.incrementAndGet();
            System.err.println("training: no VM was placed, so no agent has anything to report");
        } else if (kafka != null && !kafka.isBlank()) {
            published += publish(kafka, new String[] {"starting", "running", "exists"}, 1);
            String sample = placed.values().iterator().next()[3];
            String project = placed.values().iterator().next()[2];
            if (!awaitPhase(sample, project, "Running")) {
                unexpected.incrementAndGet();
                System.err.printf("training: vm/%s did not become Running from its lifecycle events%n", sample);
            }
        }

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
        if (published > 0) {
            // The agents saw them stop and go.
            published += publish(kafka, new String[] {"stopping", "stopped", "deleted"}, 4);
            String day = Instant.now().toString().substring(0, 10);
            call("GET", "/v1/usage?groupBy=project&from=" + day + "T00:00:00Z", null, 200);
            call("GET", "/v1/usage?project=training-" + run + "&groupBy=workload", null, 200);
        }

        System.out.printf("training: %d nodes, %d VM creates, %d lifecycle events, reads, actions and deletes in %.1f s; %d unexpected answers%n",
                NODES, VMS, published, (System.nanoTime() - t0) / 1e9, unexpected.get());
        System.exit(unexpected.get() == 0 ? 0 : 1);
    }

    /**
     * Publishes, for every placed VM, one event of each action (sequences from {@code firstSequence}), as its node's
     * agent would (asyncapi.yaml); how many were sent.
     */
    static int publish(String bootstrap, String[] actions, int firstSequence) throws Exception {
        int sent = 0;
        try (var producer = new KafkaProducer<String, String>(Map.of("bootstrap.servers", bootstrap, "acks", "all",
                "enable.idempotence", true, "linger.ms", 5), new StringSerializer(), new StringSerializer())) {
            for (String[] vm : placed.values()) {
                for (int k = 0; k < actions.length; k++) {
                    long sequence = firstSequence + k;
                    String event = new String(json("{'specversion':'1.0','id':'%s-%d','source':'/corral/nodes/%s','type':'corral.vm.%s',"
                            + "'time':'%s','subject':'vm/%s','datacontenttype':'application/json','data':{'kind':'VM','uid':'%s',"
                            + "'name':'%s','project':'%s','node':'%s','sequence':%d,'vcpus':1,'memoryMiB':256,'devices':[]}}",
                            vm[0], sequence, vm[1], actions[k], Instant.now(), vm[3], vm[0], vm[3], vm[2], vm[1], sequence));
                    producer.send(new ProducerRecord<>("corral.lifecycle.v1", vm[0], event));
                    sent++;
                }
            }
            producer.flush();
        }
        return sent;
    }

    /** Waits up to a minute for the VM's phase. */
    static boolean awaitPhase(String name, String project, String phase) throws InterruptedException {
        for (long end = System.nanoTime() + 60_000_000_000L; System.nanoTime() < end; Thread.sleep(200)) {
            if (phase.equals(field(call("GET", "/v1/vms/" + name + "?project=" + project, null, 200), "phase"))) {
                return true;
            }
        }
        return false;
    }

    /** The first string value of {@code "name":"..."} in a JSON answer; null when there is none. */
    static String field(String json, String name) {
        int at = json.indexOf("\"" + name + "\":\"");
        if (at < 0) {
            return null;
        }
        int start = at + name.length() + 4;
        return json.substring(start, json.indexOf('"', start));
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
