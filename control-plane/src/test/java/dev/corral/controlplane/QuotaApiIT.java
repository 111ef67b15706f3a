package dev.corral.controlplane;

import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.anEmptyMap;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Quotas per project: read with what is in use, set by admins, charged by every VM and container from create to
 * delete. (Concurrent creates across two replicas: e2e QuotaIT.)
 */
@QuarkusTest
class QuotaApiIT {

    @Inject
    DataSource db;

    @Inject
    dev.corral.controlplane.quota.QuotaLedger ledger;

    private String project;
    private String image;
    /** A pool no node is in: the workloads stay Pending, and count all the same. */
    private final String pool = unique("nowhere");

    @BeforeEach
    void project() {
        project = unique("quota");
        json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201);
        String sha = given().contentType("application/octet-stream").body(("kernel of " + project).getBytes())
                .post("/v1/blobs").then().statusCode(201).extract().path("sha256");
        image = unique("img");
        json().body("{\"metadata\": {\"name\": \"%s\"}, \"spec\": {\"kernel\": {\"sha256\": \"%s\"}}}".formatted(image, sha))
                .post("/v1/images?project=" + project).then().statusCode(201);
    }

    /**
     * What the ledger says is in use is what the project's workloads hold, counted from scratch by the statements
     * migration V11 counted existing workloads with: every charge was released or is still held, exactly.
     */
    @AfterEach
    void ledgerAgreesWithTheWorkloads() throws Exception {
        String migration = Files.readString(Path.of("src/main/resources/db/migration/V11__quotas.sql"));
        var counting = Pattern.compile("INSERT INTO quota \\(project, vcpus_used.*?\n(SELECT .*?GROUP BY p.name);", Pattern.DOTALL)
                .matcher(migration);
        var devices = Pattern.compile("INSERT INTO quota_device \\(project, device_class, used\\)\n(SELECT .*?);", Pattern.DOTALL)
                .matcher(migration);
        org.assertj.core.api.Assertions.assertThat(counting.find() && devices.find()).as("V11's counting statements").isTrue();
        var quota = given().get("/v1/projects/" + project + "/quota").then().statusCode(200).extract().jsonPath();
        try (var c = db.getConnection()) {
            try (var s = c.prepareStatement("SELECT * FROM (" + counting.group(1) + ") t WHERE t.name = ?")) {
                s.setString(1, project);
                try (var rs = s.executeQuery()) {
                    org.assertj.core.api.Assertions.assertThat(rs.next()).isTrue();
                    org.assertj.core.api.Assertions.assertThat(rs.getBigDecimal(2).doubleValue()).isEqualTo(quota.getDouble("used.vcpus"));
                    org.assertj.core.api.Assertions.assertThat(rs.getLong(3)).isEqualTo(quota.getLong("used.memoryMiB"));
                    org.assertj.core.api.Assertions.assertThat(rs.getInt(4)).isEqualTo(quota.getInt("used.instances"));
                }
            }
            var held = new java.util.TreeMap<String, Integer>();
            try (var s = c.prepareStatement("SELECT * FROM (" + devices.group(1) + ") t WHERE t.project = ?")) {
                s.setString(1, project);
                try (var rs = s.executeQuery()) {
                    while (rs.next()) {
                        held.put(rs.getString(2), rs.getInt(3));
                    }
                }
            }
            var ledger = new java.util.TreeMap<String, Integer>(quota.getMap("used.devices", String.class, Integer.class));
            ledger.values().removeIf(n -> n == 0);
            org.assertj.core.api.Assertions.assertThat(ledger).isEqualTo(held);
        }
    }

    private io.restassured.response.Response vm(String name, int vcpus, long memoryMiB, String extra) {
        return json().body(Api.vmBody(name, image, vcpus, memoryMiB, pool, extra)).post("/v1/vms?project=" + project);
    }

    private io.restassured.response.Response setQuota(String limits) {
        return json().body(limits).put("/v1/projects/" + project + "/quota");
    }

    @Test
    void aNewProjectHasNoLimitsAndCountsWhatItHolds() {
        given().get("/v1/projects/" + project + "/quota").then().statusCode(200)
                .body("project", equalTo(project)).body("limits", anEmptyMap())
                .body("used.vcpus", equalTo(0.0f)).body("used.instances", equalTo(0)).body("used.devices", anEmptyMap());
        vm(unique("vm"), 3, 512, "\"devices\": [{\"class\": \"gpu\", \"count\": 2}]").then().statusCode(201);
        given().get("/v1/projects/" + project + "/quota").then().statusCode(200)
                .body("used.vcpus", equalTo(3.0f)).body("used.memoryMiB", equalTo(512)).body("used.instances", equalTo(1))
                .body("used.devices.gpu", equalTo(2));
        given().get("/v1/projects/default/quota").then().statusCode(200).body("limits.vcpus", nullValue());
        given().get("/v1/projects/" + unique("none") + "/quota").then().statusCode(404);
    }

    @Test
    void aCreateOverQuotaIsA403NamingTheQuotaAndStoresNothing() {
        setQuota("{\"vcpus\": 4, \"memoryMiB\": 4096, \"instances\": 5, \"devices\": {\"gpu\": 1}}").then().statusCode(200)
                .body("limits.vcpus", equalTo(4)).body("limits.memoryMiB", equalTo(4096)).body("limits.devices.gpu", equalTo(1));
        vm(unique("vm"), 3, 1024, null).then().statusCode(201);
        String refused = unique("vm");
        vm(refused, 2, 1024, null).then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/quota-exceeded")).body("title", equalTo("Quota Exceeded"))
                .body("status", equalTo(403))
                .body("detail", equalTo("Quota exceeded in project " + project + ": vcpus 3 in use + 2 requested > limit 4."));
        given().get("/v1/vms/" + refused + "?project=" + project).then().statusCode(404);
        given().get("/v1/vms?project=" + project).then().statusCode(200).body("items.size()", equalTo(1));

        vm(unique("vm"), 1, 4000, null).then().statusCode(403)
                .body("detail", equalTo("Quota exceeded in project " + project + ": memoryMiB 1024 in use + 4000 requested > limit 4096."));
        vm(unique("vm"), 1, 64, "\"devices\": [{\"class\": \"gpu\", \"count\": 2}]").then().statusCode(403)
                .body("detail", equalTo("Quota exceeded in project " + project + ": devices.gpu 0 in use + 2 requested > limit 1."));
        given().get("/v1/projects/" + project + "/quota").then().statusCode(200)
                .body("used.vcpus", equalTo(3.0f)).body("used.memoryMiB", equalTo(1024)).body("used.instances", equalTo(1))
                .body("used.devices.gpu", equalTo(0));
    }

    @Test
    void deletingAWorkloadGivesItsShareBack() {
        setQuota("{\"instances\": 1}").then().statusCode(200);
        String first = unique("vm");
        vm(first, 2, 256, null).then().statusCode(201);
        vm(unique("vm"), 1, 64, null).then().statusCode(403)
                .body("detail", equalTo("Quota exceeded in project " + project + ": instances 1 in use + 1 requested > limit 1."));
        given().delete("/v1/vms/" + first + "?project=" + project).then().statusCode(200);
        given().get("/v1/projects/" + project + "/quota").then().statusCode(200)
                .body("used.vcpus", equalTo(0.0f)).body("used.memoryMiB", equalTo(0)).body("used.instances", equalTo(0));
        vm(unique("vm"), 1, 64, null).then().statusCode(201);
    }

    @Test
    void containersCountTheirFractionalCpus() {
        String img = containerImage();
        setQuota("{\"vcpus\": 1}").then().statusCode(200);
        for (int i = 0; i < 2; i++) {
            json().body(container(unique("ct"), img, "0.5")).post("/v1/containers?project=" + project).then().statusCode(201);
        }
        json().body(container(unique("ct"), img, "0.01")).post("/v1/containers?project=" + project).then().statusCode(403)
                .body("detail", equalTo("Quota exceeded in project " + project + ": vcpus 1 in use + 0.01 requested > limit 1."));
        given().get("/v1/projects/" + project + "/quota").then().body("used.vcpus", equalTo(1.0f)).body("used.memoryMiB", equalTo(512));
    }

    @Test
    void aLimitLoweredBelowUseKeepsWhatRunsRefusesGrowthAndAllowsShrinking() {
        String pending = unique("vm");
        vm(pending, 4, 256, null).then().statusCode(201);
        setQuota("{\"vcpus\": 2}").then().statusCode(200).body("limits.vcpus", equalTo(2)).body("used.vcpus", equalTo(4.0f));
        vm(unique("vm"), 1, 64, null).then().statusCode(403)
                .body("detail", equalTo("Quota exceeded in project " + project + ": vcpus 4 in use + 1 requested > limit 2."));
        // A Pending VM may change shape: growing is charged like a create, shrinking gives back.
        json().body(Api.vmBody(pending, image, 6, 256, pool, null)).put("/v1/vms/" + pending + "?project=" + project)
                .then().statusCode(403)
                .body("detail", equalTo("Quota exceeded in project " + project + ": vcpus 4 in use + 2 requested > limit 2."));
        json().body(Api.vmBody(pending, image, 3, 256, pool, null)).put("/v1/vms/" + pending + "?project=" + project)
                .then().statusCode(200).body("status.resources.vcpus", equalTo(3.0f));
        given().get("/v1/projects/" + project + "/quota").then().body("used.vcpus", equalTo(3.0f));
        setQuota("{}").then().statusCode(200).body("limits", anEmptyMap()).body("used.vcpus", equalTo(3.0f));
        vm(unique("vm"), 8, 64, null).then().statusCode(201);
    }

    @Test
    void onlyAdminsSetAQuotaAndItsLimitsAreReadStrictly() {
        setQuota("{\"vcpus\": -1}").then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo("vcpus"));
        setQuota("{\"devices\": {\"GPU\": 1}}").then().statusCode(400).body("errors[0].field", equalTo("devices.GPU"));
        String viewer = json().body("{\"subject\": \"v\", \"role\": \"viewer\", \"project\": \"" + project + "\"}").post("/v1/tokens")
                .then().statusCode(201).extract().path("token");
        String member = json().body("{\"subject\": \"m\", \"role\": \"member\", \"project\": \"" + project + "\"}").post("/v1/tokens")
                .then().statusCode(201).extract().path("token");
        given().header("Authorization", "Bearer " + viewer).get("/v1/projects/" + project + "/quota").then().statusCode(200);
        given().header("Authorization", "Bearer " + member).contentType("application/json").body("{\"vcpus\": 100}")
                .put("/v1/projects/" + project + "/quota").then().statusCode(403).body("type", equalTo("https://corral.dev/problems/forbidden"));
    }

    /**
     * The charge alone, raced: 48 transactions at once, each on its own connection (as from many replicas), charge
     * 1 vCPU against a limit of 10. Unlike a create, nothing else in these transactions serializes them (a create's
     * charge also comes after the store's resourceVersion lock), so only the conditional statement keeps it to 10.
     */
    @Test
    void concurrentChargesNeverPassTheLimitTogether() throws Exception {
        setQuota("{\"vcpus\": 10}").then().statusCode(200);
        var one = new dev.corral.controlplane.quota.QuotaLedger.Charge(java.math.BigDecimal.ONE, 0, 0, java.util.Map.of());
        var start = new java.util.concurrent.CountDownLatch(1);
        var results = new java.util.ArrayList<java.util.concurrent.Future<Boolean>>();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(24)) {
            for (int i = 0; i < 48; i++) {
                results.add(threads.submit(() -> {
                    start.await();
                    try {
                        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(() -> ledger.charge(project, one));
                        return true;
                    } catch (dev.corral.controlplane.problem.QuotaExceededException refused) {
                        return false;
                    }
                }));
            }
            start.countDown();
        }
        int charged = 0;
        for (var r : results) {
            charged += r.get() ? 1 : 0;
        }
        org.assertj.core.api.Assertions.assertThat(charged).isEqualTo(10);
        given().get("/v1/projects/" + project + "/quota").then().body("used.vcpus", equalTo(10.0f));
        // Put back what no workload holds, so the recount after this test agrees.
        io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().run(() -> ledger.release(project,
                new dev.corral.controlplane.quota.QuotaLedger.Charge(java.math.BigDecimal.TEN, 0, 0, java.util.Map.of())));
    }

    private String containerImage() {
        byte[] tar = TestTars.tar(TestTars.Entry.file("bin/hello-" + project));
        String layer = Api.put(TestTars.gzip(tar));
        String config = Api.put(("""
                {"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/bin/hello"]},
                 "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}""".formatted(TestTars.sha256(tar))).getBytes());
        String name = unique("ctimg");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"container": {"config": {"sha256": "%s"},
                 "layers": [{"sha256": "%s", "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}]}}}"""
                .formatted(name, config, layer)).post("/v1/images?project=" + project).then().statusCode(201);
        return name;
    }

    private String container(String name, String image, String cpus) {
        return """
                {"metadata": {"name": "%s"}, "spec": {"image": "%s", "cpus": %s, "memoryMiB": 256, "nodeSelector": {"pool": "%s"}}}"""
                .formatted(name, image, cpus, pool);
    }
}
