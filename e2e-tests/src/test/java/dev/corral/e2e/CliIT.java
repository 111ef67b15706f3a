package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.corral.cli.Corral;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `corral` against a real control plane with real PostgreSQL, the way a user types it. */
class CliIT {

    private static ControlPlaneProcess controlPlane;
    private static String image;
    private static final String POOL = "cli-" + UUID.randomUUID().toString().substring(0, 6);

    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {
    }

    static Result piped(String stdin, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var all = new ArrayList<>(List.of(args));
        // Every command that talks to the server takes --server; the others must not be given it.
        if (!List.of("config", "completion", "api-resources", "login").contains(args[0]) && !List.of(args).contains("--client")) {
            all.add("--server");
            all.add(controlPlane.server.toString());
            all.add("--token");
            all.add(controlPlane.adminToken);
        }
        int exit = Corral.execute(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out, true),
                new PrintWriter(err, true), all.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    static Result corral(String... args) {
        return piped("", args);
    }

    @BeforeAll
    static void startControlPlane() throws Exception {
        controlPlane = ControlPlaneProcess.start();
        // Agents register nodes; the CLI only reads them. Register one the way an agent does.
        var http = HttpClient.newHttpClient();
        var r = http.send(HttpRequest.newBuilder(controlPlane.server.resolve("/v1/nodes/" + POOL + "-node"))
                .header("Authorization", "Bearer " + controlPlane.adminToken)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"labels\": {\"pool\": \"" + POOL + "\"}, \"accelerator\": \"kvm-pvm\", "
                        + "\"capacity\": {\"vcpus\": 4, \"memoryMiB\": 8192}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
        image = "img-" + POOL;
    }

    @AfterAll
    static void stopControlPlane() throws Exception {
        if (controlPlane != null) {
            controlPlane.close();
            assertThat(controlPlane.alive()).isFalse();
        }
    }

    private String imageManifest(String sha) {
        return """
                apiVersion: corral/v1
                kind: Image
                metadata:
                  name: %s
                spec:
                  kernel:
                    sha256: %s
                  cmdline: console=ttyS0
                """.formatted(image, sha);
    }

    private void ensureImage() throws Exception {
        Path kernel = tmp.resolve("bzImage");
        Files.writeString(kernel, "not really a kernel " + POOL);
        var upload = corral("upload", kernel.toString());
        assertThat(upload.exit()).as(upload.err()).isZero();
        String sha = upload.out().strip().split(" ")[0].substring("sha256:".length());
        Path manifest = tmp.resolve("image.yaml");
        Files.writeString(manifest, imageManifest(sha));
        var applied = corral("apply", "-f", manifest.toString());
        assertThat(applied.exit()).as(applied.err()).isZero();
        assertThat(applied.out()).matches("image/" + image + " (created|unchanged)\\n");
    }

    @Test
    void versionShowsClientAndServer() {
        var r = corral("version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Client Version: ").contains("Server Version: 0.1.0-SNAPSHOT (corral/v1)");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void createGetDescribeApplyStopDeleteAVm() throws Exception {
        ensureImage();
        String vm = "web-" + UUID.randomUUID().toString().substring(0, 6);
        var dry = corral("create", "vm", vm, "--image", image, "--cpus", "1", "--memory", "512Mi", "--dry-run");
        assertThat(dry.out()).isEqualTo("vm/" + vm + " created (dry run)\n");
        assertThat(corral("get", "vm", vm).exit()).isEqualTo(1);

        var created = corral("create", "vm", vm, "--image", image, "--cpus", "1", "--memory", "512Mi", "--label", "env=prod",
                "--node-selector", "pool=" + POOL);
        assertThat(created.exit()).as(created.err()).isZero();
        assertThat(created.out()).isEqualTo("vm/" + vm + " created\n");

        var table = corral("get", "vms", "-l", "env=prod");
        assertThat(table.exit()).isZero();
        var lines = table.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("NAME").endsWith("AGE").contains("PHASE", "NODE", "VCPUS", "MEMORY");
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith(vm).contains("Scheduled", POOL + "-node", "512Mi"));
        assertThat(corral("get", "vms", "-o", "wide").out().lines().findFirst().orElseThrow()).contains("IMAGE", "IPS");
        assertThat(corral("get", "vms", "-l", "env=prod", "-o", "name").out()).contains("vm/" + vm + "\n");
        assertThat(corral("get", "vm/" + vm, "-o", "json").out()).contains("\"kind\" : \"VM\"");

        // What get prints, apply takes back: a no-op.
        String yaml = corral("get", "vm", vm, "-o", "yaml").out();
        assertThat(yaml).contains("kind: VM").contains("phase: Scheduled");
        var roundTrip = piped(yaml, "apply", "-f", "-");
        assertThat(roundTrip.out()).as(roundTrip.err()).isEqualTo("vm/" + vm + " unchanged\n");
        var listRoundTrip = piped(corral("get", "vms", "-l", "env=prod", "-o", "yaml").out(), "apply", "-f", "-");
        assertThat(listRoundTrip.out()).isEqualTo("vm/" + vm + " unchanged\n");
        var changed = piped(yaml.replace("env: prod", "env: prod\n    tier: web"), "apply", "-f", "-");
        assertThat(changed.out()).isEqualTo("vm/" + vm + " configured\n");

        var describe = corral("describe", "vm", vm);
        assertThat(describe.out()).contains("Name:", vm, "Conditions:", "Scheduled", "Events:", "Placed on node " + POOL + "-node");

        assertThat(corral("wait", "vm/" + vm, "--for=condition=Scheduled", "--timeout", "5s").exit()).isZero();
        var stop = corral("stop", "vm/" + vm, "--grace", "10s");
        assertThat(stop.out()).isEqualTo("vm/" + vm + " stop requested\n");
        // No node agent runs in this test: the VM never reports Stopped, and waiting says so in one line.
        var wait = corral("stop", "vm/" + vm, "--wait", "--timeout", "1s");
        assertThat(wait.exit()).isEqualTo(1);
        assertThat(wait.err().strip()).startsWith("error: timed out after 1s waiting for vm/" + vm + " to have phase Stopped")
                .doesNotContain("\n");

        assertThat(corral("delete", "vm/" + vm).out()).isEqualTo("vm/" + vm + " deleted\n");
        var gone = corral("get", "vm", vm);
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).isEqualTo("error: VM '" + vm + "' not found. (404 Not Found)\n");
        assertThat(gone.out()).isEmpty();
    }

    @Test
    void applyingADirectoryOfManifestsIsIdempotent() throws Exception {
        ensureImage();
        Path dir = Files.createDirectories(tmp.resolve("manifests"));
        String name = "db-" + UUID.randomUUID().toString().substring(0, 6);
        Files.writeString(dir.resolve("10-type.yaml"), """
                apiVersion: corral/v1
                kind: InstanceType
                metadata: {name: %s.tiny}
                spec: {vcpus: 1, memoryMiB: 128}
                """.formatted(name));
        Files.writeString(dir.resolve("20-vms.yaml"), """
                apiVersion: corral/v1
                kind: VM
                metadata: {name: %s-0}
                spec: {instanceType: %s.tiny, image: %s, nodeSelector: {pool: %s}}
                ---
                {"apiVersion": "corral/v1", "kind": "VM", "metadata": {"name": "%s-1"},
                 "spec": {"instanceType": "%s.tiny", "image": "%s", "nodeSelector": {"pool": "%s"}}}
                """.formatted(name, name, image, POOL, name, name, image, POOL));
        var first = corral("apply", "-f", dir.toString());
        assertThat(first.out()).as(first.err()).isEqualTo("instancetype/" + name + ".tiny created\nvm/" + name + "-0 created\nvm/" + name + "-1 created\n");
        var second = corral("apply", "-f", dir.toString());
        assertThat(second.out()).isEqualTo("instancetype/" + name + ".tiny unchanged\nvm/" + name + "-0 unchanged\nvm/" + name + "-1 unchanged\n");
        assertThat(corral("delete", "-f", dir.resolve("20-vms.yaml").toString()).out())
                .isEqualTo("vm/" + name + "-0 deleted\nvm/" + name + "-1 deleted\n");
    }

    @Test
    void anAdminSetsAProjectQuotaAndACreateOverItIsOneLineAndExitOne() throws Exception {
        String project = "quota-" + UUID.randomUUID().toString().substring(0, 6);
        assertThat(corral("create", "project", project).exit()).isZero();
        Path kernel = tmp.resolve("bzImage");
        Files.writeString(kernel, "not really a kernel either " + project);
        String sha = corral("upload", kernel.toString()).out().strip().split(" ")[0].substring("sha256:".length());
        Path manifest = tmp.resolve("image.yaml");
        Files.writeString(manifest, imageManifest(sha));
        assertThat(corral("apply", "-f", manifest.toString(), "-p", project).exit()).isZero();

        var set = corral("set", "quota", "-p", project, "--vcpus", "2", "--memory", "1Gi", "--device", "gpu=1");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).isEqualTo("quota/" + project + " set\n");
        var created = corral("create", "vm", "q-1", "--image", image, "--cpus", "2", "--memory", "512Mi", "-p", project,
                "--node-selector", "pool=" + POOL);
        assertThat(created.exit()).as(created.err()).isZero();
        var refused = corral("create", "vm", "q-2", "--image", image, "--cpus", "1", "--memory", "256Mi", "-p", project);
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).isEqualTo("error: Quota exceeded in project " + project
                + ": vcpus 2 in use + 1 requested > limit 2. (403 Quota Exceeded)\n");

        var table = corral("get", "quota", "-p", project);
        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out().lines().map(l -> List.of(l.strip().split("\\s+"))).toList()).containsExactly(
                List.of("RESOURCE", "USED", "LIMIT"), List.of("vcpus", "2", "2"), List.of("memory", "512Mi", "1Gi"),
                List.of("instances", "1", "<none>"), List.of("devices/gpu", "0", "1"));
        // Limits not named stay; none removes one.
        assertThat(corral("set", "quota", "-p", project, "--vcpus", "none", "--instances", "4").exit()).isZero();
        var json = corral("get", "quota", "-p", project, "-o", "json");
        var limits = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.out()).path("limits");
        assertThat(limits.has("vcpus")).as(json.out()).isFalse();
        assertThat(limits.path("instances").asInt()).isEqualTo(4);
        assertThat(limits.path("memoryMiB").asLong()).isEqualTo(1024);
        assertThat(limits.path("devices").path("gpu").asInt()).isEqualTo(1);
        assertThat(corral("create", "vm", "q-2", "--image", image, "--cpus", "1", "--memory", "256Mi", "-p", project).exit()).isZero();

        var nothing = corral("set", "quota", "-p", project);
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err().lines().count()).isEqualTo(1);
        var negative = corral("set", "quota", "-p", project, "--vcpus", "-1");
        assertThat(negative.exit()).isEqualTo(2);
        assertThat(negative.err().strip()).isEqualTo("error: --vcpus -1: expected a whole number of at least 0, or none");
        assertThat(corral("set", "quota", "--help").out()).contains("--vcpus", "--memory", "--instances", "--device", "--clear");
        assertThat(corral("get", "quota", "-p", "no-such-project").exit()).isEqualTo(1);
    }

    @Test
    void badInputIsOneLineAndTheRightExitCode() {
        var usage = corral("get");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err().lines().count()).isEqualTo(1);
        assertThat(corral("get", "spaceships").exit()).isEqualTo(2);
        assertThat(corral("create", "vm", "x", "--image", "i").exit()).isEqualTo(2);
        assertThat(corral("create", "vm", "x", "--image", "i", "--cpus", "1", "--memory", "lots").err())
                .startsWith("error: --memory: 'lots' is not a memory size");
        var invalid = corral("create", "vm", "Bad_Name", "--image", "i", "--cpus", "1", "--memory", "1Gi");
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).startsWith("error: The request is invalid: metadata.name").endsWith("(400 Invalid Request)\n");
        var badManifest = piped("apiVersion: v2\nkind: Pod\nmetadata: {name: x}\n", "apply", "-f", "-");
        assertThat(badManifest.exit()).isEqualTo(1);
        assertThat(badManifest.err()).isEqualTo("error: <stdin> (document 1): apiVersion must be corral/v1, not 'v2'\n");
        var unreachable = Corral.execute(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "get", "vms", "--server", "http://127.0.0.1:1");
        assertThat(unreachable).isEqualTo(1);
    }

    @Test
    void nodesCanBeListedAndCordoned() {
        var nodes = corral("get", "nodes");
        assertThat(nodes.out()).contains("ACCELERATOR").contains(POOL + "-node").contains("kvm-pvm");
        assertThat(corral("cordon", "node/" + POOL + "-node").out()).isEqualTo("node/" + POOL + "-node cordoned\n");
        assertThat(corral("get", "node", POOL + "-node").out()).contains("Ready,SchedulingDisabled");
        assertThat(corral("uncordon", POOL + "-node").out()).isEqualTo("node/" + POOL + "-node uncordoned\n");
        assertThat(corral("get", "instancetypes").out()).contains("c1.small");
        assertThat(corral("api-resources").out()).contains("vms", "VM", "instancetypes");
    }

    @Test
    void anAdminMakesAProjectAndAViewerTokenThatCanReadItButNotChangeIt() {
        String project = "cli-" + ProcessHandle.current().pid();
        assertThat(corral("create", "project", project).out()).isEqualTo("project/" + project + " created\n");
        var token = corral("create", "token", "--role", "viewer", "--project", project, "--expires", "30d");
        assertThat(token.exit()).isZero();
        assertThat(token.out()).startsWith("corral_").hasLineCount(1);
        Path config = tmp.resolve("login-config");
        System.setProperty("corral.config", config.toString());
        try {
            assertThat(corral("login", "--server", controlPlane.server.toString(), "--token", token.out().strip(), "--context", "viewer").out())
                    .isEqualTo("Logged in to " + controlPlane.server + " as viewer@" + project + " (viewer of project " + project
                            + "); context viewer is current\n");
            var out = new StringWriter();
            var err = new StringWriter();
            // The context's server, token and project: the viewer reads its project...
            assertThat(Corral.execute(new PrintWriter(out), new PrintWriter(err), "get", "vms")).isZero();
            assertThat(err.toString()).isEqualTo("No vms found in project " + project + ".\n");
            // ...and may not change it: one line, exit 1.
            err = new StringWriter();
            assertThat(Corral.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "create", "vm", "x", "--image", "i",
                    "--cpus", "1", "--memory", "64Mi")).isEqualTo(1);
            assertThat(err.toString()).startsWith("error: Token tok-").contains("(viewer of project " + project + ") may not POST /v1/vms")
                    .endsWith("(403 Forbidden)\n").hasLineCount(1);
        } finally {
            System.clearProperty("corral.config");
        }
        var err = new StringWriter();
        assertThat(Corral.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "get", "vms", "--server", controlPlane.server.toString(),
                "--token", "corral_unknown")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("error: The bearer token is not one this control plane issued. (401 Unauthorized)\n");
        // The admin lists tokens (never their secrets) and revokes the viewer's: it fails on the next request.
        var table = corral("get", "tokens").out();
        assertThat(table.lines().findFirst().orElseThrow()).startsWith("ID").contains("SUBJECT", "ROLE", "SCOPE", "EXPIRES", "REVOKED");
        assertThat(table).contains("viewer@" + project).doesNotContain(token.out().strip());
        String tokenId = table.lines().filter(l -> l.contains("viewer@" + project)).findFirst().orElseThrow().split("\\s+")[0];
        assertThat(corral("delete", "token/" + tokenId).out()).isEqualTo("token/" + tokenId + " revoked\n");
        err = new StringWriter();
        assertThat(Corral.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "get", "vms", "--server", controlPlane.server.toString(),
                "--token", token.out().strip(), "-p", project)).isEqualTo(1);
        assertThat(err.toString()).startsWith("error: The bearer token " + tokenId + " was revoked at ").hasLineCount(1);
    }

    @Test
    void contextsLiveInTheConfigFile() {
        Path config = tmp.resolve("config");
        System.setProperty("corral.config", config.toString());
        try {
            assertThat(corral("config", "set-context", "local", "--server", controlPlane.server.toString(), "--token", controlPlane.adminToken)
                    .out()).isEqualTo("context/local created\n");
            assertThat(corral("config", "set-context", "elsewhere", "--server", "http://127.0.0.1:1", "-p", "web").exit()).isZero();
            assertThat(corral("config", "current-context").out()).isEqualTo("local\n");
            var out = new StringWriter();
            // No --server: the current context's server answers.
            assertThat(Corral.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), "get", "instancetypes", "-o", "name")).isZero();
            assertThat(out.toString()).contains("instancetype/c1.small");
            assertThat(corral("config", "use-context", "elsewhere").exit()).isZero();
            assertThat(corral("config", "get-contexts").out()).contains("*        elsewhere");
            assertThat(Corral.execute(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), "get", "vms")).isEqualTo(1);
            assertThat(corral("config", "use-context", "nowhere").err()).startsWith("error: no context named 'nowhere'");
        } finally {
            System.clearProperty("corral.config");
        }
    }

    @Test
    void completionScriptsAreGenerated() {
        assertThat(corral("completion", "bash").out()).contains("complete -F").contains("apply").contains("describe");
        assertThat(corral("completion", "zsh").out()).startsWith("autoload -U +X compinit");
        assertThat(corral("completion", "fish").exit()).isEqualTo(2);
    }

    @Test
    void usageShowsWhatTheMeterCountedFromLifecycleEvents() throws Exception {
        String project = "bill-" + UUID.randomUUID().toString().substring(0, 6);
        String uid = UUID.randomUUID().toString();
        // What a node agent publishes: a VM with 2 vCPUs, 4 GiB and a GPU ran two hours, then stayed stopped.
        String event = """
                {"specversion":"1.0","id":"%1$s-%2$d","source":"/corral/nodes/n1","type":"corral.vm.%3$s",
                 "time":"%4$s","subject":"vm/billed","datacontenttype":"application/json",
                 "data":{"kind":"VM","uid":"%1$s","name":"billed","project":"%5$s","node":"n1","sequence":%2$d,
                         "vcpus":2,"memoryMiB":4096,"devices":[{"address":"0000:3b:00.0","class":"gpu"}]}}""";
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(java.util.Map.of(
                "bootstrap.servers", controlPlane.kafkaBootstrapServers(), "acks", "all"),
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.StringSerializer())) {
            for (var e : List.of(List.of("1", "running", "2026-11-01T10:00:00Z"), List.of("2", "stopped", "2026-11-01T12:00:00Z"))) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("corral.lifecycle.v1", uid,
                        event.formatted(uid, Integer.parseInt(e.get(0)), e.get(1), e.get(2), project))).get();
            }
        }
        String[] window = {"-p", project, "--from", "2026-11-01", "--to", "2026-11-02"};
        Result table = null;
        for (int i = 0; i < 150; i++) {
            table = corral(concat(new String[] {"usage", "--group-by", "workload"}, window));
            // Both events applied (the meter may take them in two batches: the first alone shows it running).
            if (table.out().contains("vm/billed") && !table.out().contains(" 0s ")) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(table.exit()).isZero();
        assertThat(table.out().lines().toList()).containsExactly(
                "PROJECT       WORKLOAD    RUNNING   STOPPED   VCPU-SECONDS   GIB-SECONDS   DEVICE-SECONDS   FLAGS",
                project + "   vm/billed   2h0m0s    12h0m0s   14400          28800         gpu=50400        <none>");
        assertThat(corral(concat(new String[] {"usage", "-o", "csv"}, window)).out()).isEqualTo(
                "project,kind,name,uid,day,runningSeconds,stoppedSeconds,vcpuSeconds,memoryGiBSeconds,deviceSeconds.gpu,flags\r\n"
                + project + ",,,,,7200,43200,14400,28800,50400,\r\n");
        var bad = corral("usage", "--from", "last tuesday");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).startsWith("error: --from must be RFC 3339").doesNotContain("\n\n");
        var refused = corral("usage", "--group-by", "month");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("groupBy");
    }

    private static String[] concat(String[] a, String[] b) {
        var all = new ArrayList<>(List.of(a));
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
