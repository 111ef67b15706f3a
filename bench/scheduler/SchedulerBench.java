import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scheduler throughput through the REST API, against a running control plane (bench/scheduler/run.sh starts one).
 * Registers NODES nodes, then creates VMS VMs with CONCURRENCY requests in flight, and measures the same number
 * of plain creates that place nothing (instance types: same store path, no scheduling) as the in-run reference.
 * Then VMS more VMs on the same server (warm: its JIT mostly done), printed beside the first round.
 *
 * Usage: java SchedulerBench.java http://127.0.0.1:8080 [nodes] [vms] [concurrency]
 */
public class SchedulerBench {

    record Run(double perSecond, long[] latenciesNanos, int ok, int failed) {
        double percentileMillis(double p) {
            long[] sorted = latenciesNanos.clone();
            Arrays.sort(sorted);
            return percentileMillis(sorted, p);
        }

        private static double percentileMillis(long[] sorted, double p) {
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
        }

        /**
         * p50/p99 of each tenth of the round, in the order the creates were sent: where a fresh server's tail comes
         * from (its first creates run before the JIT has compiled them).
         */
        String byTenth() {
            var line = new StringBuilder();
            int n = latenciesNanos.length;
            for (int k = 0; k < 10 && n >= 10; k++) {
                long[] part = Arrays.copyOfRange(latenciesNanos, k * n / 10, (k + 1) * n / 10);
                Arrays.sort(part);
                line.append(String.format(" %.0f/%.0f", percentileMillis(part, 0.50), percentileMillis(part, 0.99)));
            }
            return line.toString();
        }
    }

    public static void main(String[] args) throws Exception {
        URI api = URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:8080");
        int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int vms = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String run = Long.toString(System.currentTimeMillis(), 36);

        send(http, api, "POST", "/v1/blobs", "application/octet-stream", ("bench kernel " + run).getBytes(), 201, 200);
        String sha = sha256(("bench kernel " + run).getBytes());
        send(http, api, "POST", "/v1/images", "application/json",
                ("{\"metadata\":{\"name\":\"bench-" + run + "\"},\"spec\":{\"kernel\":{\"sha256\":\"" + sha + "\"}}}").getBytes(), 201);

        long t0 = System.nanoTime();
        load(http, api, nodes, concurrency, i -> new Call("PUT", "/v1/nodes/bench-" + run + "-" + i,
                ("{\"labels\":{\"bench\":\"" + run + "\"},\"accelerator\":\"kvm-hardware\",\"capacity\":{\"vcpus\":64,\"memoryMiB\":262144}}").getBytes()));
        System.out.printf("registered %d nodes in %.1f s%n", nodes, (System.nanoTime() - t0) / 1e9);

        long server = Long.parseLong(System.getenv().getOrDefault("CORRAL_BENCH_SERVER_PID", "0"));
        long cpu0 = serverCpuTicks(server);
        long jvm0 = lastJvmTicks;
        long jit0 = lastJitTicks;
        long client0 = clientCpuNanos();
        // Each node takes 256 VMs of 1 vCPU / 1 GiB at the default ratios: 10,000 VMs fill ~4% of 1,000 nodes.
        Run placements = load(http, api, vms, concurrency, vmCreates(run, ""));
        long client1 = clientCpuNanos();
        long cpu1 = serverCpuTicks(server);
        long jvm1 = lastJvmTicks;
        long jit1 = lastJitTicks;
        int scheduled = countScheduled(http, api, run);
        long cpu2 = serverCpuTicks(server);
        long jvm2 = lastJvmTicks;
        long jit2 = lastJitTicks;
        Run plain = load(http, api, vms, concurrency, i -> new Call("POST", "/v1/instancetypes",
                ("{\"metadata\":{\"name\":\"bench-" + run + "-" + i + "\"},\"spec\":{\"vcpus\":1,\"memoryMiB\":1024}}").getBytes()));

        long cpu3 = serverCpuTicks(server);
        long jvm3 = lastJvmTicks;
        long jit3 = lastJitTicks;
        long client3 = clientCpuNanos();
        // The same again on the server that has now run 20,000 creates: what a control plane that has been up for a
        // while does, its JIT mostly done (the first round's figure is the one the goal is measured by).
        Run warm = load(http, api, vms, concurrency, vmCreates(run, "warm-"));
        long client4 = clientCpuNanos();
        long cpu4 = serverCpuTicks(server);
        long jvm4 = lastJvmTicks;
        long jit4 = lastJitTicks;
        int scheduledAll = countScheduled(http, api, run);
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("machine: %d cores; %d nodes; %d VM creates, %d in flight%n", cores, nodes, vms, concurrency);
        System.out.printf("creates with placement: %.0f/s, p50 %.1f ms, p99 %.1f ms (%d ok, %d failed, %d Scheduled)%n",
                placements.perSecond(), placements.percentileMillis(0.50), placements.percentileMillis(0.99),
                placements.ok(), placements.failed(), scheduled);
        System.out.println("  by tenth of the round, p50/p99 ms:" + placements.byTenth());
        System.out.printf("plain creates (reference, no placement): %.0f/s, p50 %.1f ms, p99 %.1f ms%n",
                plain.perSecond(), plain.percentileMillis(0.50), plain.percentileMillis(0.99));
        if (server > 0) {
            // CPU time, unlike wall time, hardly depends on what else runs on the machine: what one create costs the
            // control plane and its PostgreSQL, and the rate the machine's cores could sustain at that cost.
            double placeMs = (cpu1 - cpu0) * 1000.0 / TICKS / vms;
            double plainMs = (cpu3 - cpu2) * 1000.0 / TICKS / vms;
            System.out.printf("server CPU (control plane + PostgreSQL) per create: %.2f ms with placement (ceiling %.0f/s on %d cores), "
                    + "%.2f ms plain (ceiling %.0f/s)%n", placeMs, cores * 1000 / placeMs, cores, plainMs, cores * 1000 / plainMs);
            System.out.printf("  of which the control plane's JVM: %.2f ms with placement, %.2f ms plain%n",
                    (jvm1 - jvm0) * 1000.0 / TICKS / vms, (jvm3 - jvm2) * 1000.0 / TICKS / vms);
            // A fresh JVM compiles its hot code during the run; a server that has run for a while no longer does.
            System.out.printf("  of which its JIT compiler threads: %.2f ms with placement, %.2f ms plain%n",
                    (jit1 - jit0) * 1000.0 / TICKS / vms, (jit3 - jit2) * 1000.0 / TICKS / vms);
            // The load generator shares the cores: its own CPU per create says how much of them it leaves the server.
            double clientMs = (client1 - client0) / 1e6 / vms;
            System.out.printf("load generator (this JVM) CPU per create with placement: %.2f ms; with the server's %.2f ms "
                    + "(ceiling %.0f/s on %d cores)%n", clientMs, placeMs + clientMs, cores * 1000 / (placeMs + clientMs), cores);
        }
        System.out.printf("warm: %d more creates with placement on the same server: %.0f/s, p50 %.1f ms, p99 %.1f ms (%d ok, %d failed)%n",
                vms, warm.perSecond(), warm.percentileMillis(0.50), warm.percentileMillis(0.99), warm.ok(), warm.failed());
        System.out.println("  by tenth of the round, p50/p99 ms:" + warm.byTenth());
        if (server > 0) {
            double warmMs = (cpu4 - cpu3) * 1000.0 / TICKS / vms;
            System.out.printf("warm: server CPU per create %.2f ms (ceiling %.0f/s on %d cores), its JVM %.2f ms, its JIT %.2f ms%n",
                    warmMs, cores * 1000 / warmMs, cores, (jvm4 - jvm3) * 1000.0 / TICKS / vms, (jit4 - jit3) * 1000.0 / TICKS / vms);
            System.out.printf("warm: load generator CPU per create %.2f ms%n", (client4 - client3) / 1e6 / vms);
        }
        System.out.printf("anchor: kube-scheduler throughput test fails below 400 pods/s; Nomad C2M ~1,500 placements/s on 3 schedulers%n");
        System.out.printf("scheduler placements/s corral/k8s-floor(400) = %.2f%n", placements.perSecond() / 400);
        System.out.printf("scheduler placement/plain-create = %.2f%n", placements.perSecond() / plain.perSecond());
        if (placements.failed() > 0 || scheduled != vms || warm.failed() > 0 || scheduledAll != 2 * vms) {
            System.err.println("bench: some creates failed or were not scheduled");
            System.exit(1);
        }
    }

    static final long TICKS = 100; // USER_HZ on Linux

    /** This JVM's CPU time so far: the load generator's own. */
    static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
    static long lastJvmTicks;
    static long lastJitTicks;

    /** CPU ticks of the JVM's compiler threads (C1 and C2), from its tasks' stat. */
    static long jitTicks(long pid) throws Exception {
        long sum = 0;
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc", Long.toString(pid), "task"))) {
            for (var task : tasks.toList()) {
                String stat;
                try {
                    stat = java.nio.file.Files.readString(task.resolve("stat"));
                } catch (java.io.IOException gone) {
                    continue;
                }
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler")) {
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        }
        return sum;
    }

    /**
     * CPU ticks (user + system) the process and everything under it have used: the control plane's JVM, its
     * PostgreSQL postmaster and backends, and children that already ended (counted in their parents' cutime/cstime).
     */
    static long serverCpuTicks(long root) throws Exception {
        if (root <= 0) {
            return 0;
        }
        var children = new java.util.HashMap<Long, java.util.List<Long>>();
        var ticks = new java.util.HashMap<Long, Long>();
        try (var dirs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
            for (var dir : dirs.toList()) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                String stat;
                try {
                    stat = java.nio.file.Files.readString(dir.resolve("stat"));
                } catch (java.io.IOException gone) {
                    continue;
                }
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long pid = Long.parseLong(name);
                children.computeIfAbsent(Long.parseLong(f[1]), k -> new java.util.ArrayList<>()).add(pid);
                ticks.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]));
            }
        }
        long sum = 0;
        var todo = new java.util.ArrayDeque<Long>(java.util.List.of(root));
        while (!todo.isEmpty()) {
            long pid = todo.pop();
            sum += ticks.getOrDefault(pid, 0L);
            todo.addAll(children.getOrDefault(pid, java.util.List.of()));
        }
        lastJvmTicks = ticks.getOrDefault(root, 0L);
        lastJitTicks = jitTicks(root);
        return sum;
    }

    /** Creates of 1-vCPU VMs of the run's image on its nodes, named bench-RUN-PREFIX-i. */
    static Calls vmCreates(String run, String prefix) {
        return i -> new Call("POST", "/v1/vms",
                ("{\"metadata\":{\"name\":\"bench-" + run + "-" + prefix + i + "\"},\"spec\":{\"image\":\"bench-" + run
                        + "\",\"vcpus\":1,\"memoryMiB\":1024,\"nodeSelector\":{\"bench\":\"" + run + "\"}}}").getBytes());
    }

    record Call(String method, String path, byte[] body) {
    }

    interface Calls {
        Call make(int i);
    }

    static Run load(HttpClient http, URI api, int count, int concurrency, Calls calls) throws Exception {
        long[] latencies = new long[count];
        var ok = new AtomicInteger();
        var failed = new AtomicInteger();
        var permits = new Semaphore(concurrency);
        long start = System.nanoTime();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < count; i++) {
                permits.acquire();
                int n = i;
                executor.submit(() -> {
                    try {
                        var call = calls.make(n);
                        long t = System.nanoTime();
                        int status = send(http, api, call.method(), call.path(), "application/json", call.body()).statusCode();
                        latencies[n] = System.nanoTime() - t;
                        (status < 300 ? ok : failed).incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    } finally {
                        permits.release();
                    }
                });
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Run(count / seconds, latencies, ok.get(), failed.get());
    }

    static HttpResponse<String> send(HttpClient http, URI api, String method, String path, String type, byte[] body,
            int... expected) throws Exception {
        var response = http.send(HttpRequest.newBuilder(api.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + System.getenv("CORRAL_TOKEN"))
                .header("Content-Type", type).method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (expected.length > 0 && Arrays.stream(expected).noneMatch(s -> s == response.statusCode())) {
            throw new IllegalStateException(method + " " + path + " -> " + response.statusCode() + ": " + response.body());
        }
        return response;
    }

    static int countScheduled(HttpClient http, URI api, String run) throws Exception {
        int scheduled = 0;
        String cont = null;
        do {
            String q = "/v1/vms?limit=1000" + (cont == null ? "" : "&continue=" + cont);
            String body = send(http, api, "GET", q, "application/json", new byte[0], 200).body();
            int idx = 0;
            while ((idx = body.indexOf("\"phase\":\"Scheduled\"", idx)) >= 0) {
                scheduled++;
                idx++;
            }
            int c = body.indexOf("\"continue\":\"");
            cont = c < 0 ? null : body.substring(c + 12, body.indexOf('"', c + 12));
        } while (cont != null);
        return scheduled;
    }

    static String sha256(byte[] data) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    }
}
