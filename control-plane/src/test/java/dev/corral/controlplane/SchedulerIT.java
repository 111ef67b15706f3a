package dev.corral.controlplane;

import static dev.corral.controlplane.Api.awaitVm;
import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.gpu;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SchedulerIT {

    private static final Duration RETRY = Duration.ofSeconds(20);
    private final String pool = unique("pool");

    @Inject
    DataSource dataSource;

    @Test
    void pendingVmIsPlacedWhenANodeWithRoomRegisters() {
        registerNode(unique("small"), pool, 1, 512, "kvm-hardware", null).then().statusCode(201);
        String name = unique("waits");
        createVm(vmBody(name, image(), 1, 2048, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));
        String big = unique("big");
        registerNode(big, pool, 4, 8192, "kvm-hardware", null).then().statusCode(201);
        var vm = awaitVm(name, RETRY, v -> "Scheduled".equals(v.getString("status.phase")));
        assertThat(vm.getString("status.node")).isEqualTo(big);
    }

    @Test
    void aPendingVmIsPlacedHoweverManyPendingOnesSortBeforeIt() throws Exception {
        // A page and one more of VMs that fit nowhere (the test profile's pages are 20), named to sort before the one
        // that will fit: the retry read only its first page, 1,000 workloads in production.
        String img = image();
        String nowhere = unique("nowhere");
        String prefix = "a" + unique("").substring(1);
        var blockers = java.util.stream.IntStream.range(0, 21).mapToObj(i -> prefix + String.format("%04d", i)).toList();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (var created : threads.invokeAll(blockers.stream().<java.util.concurrent.Callable<Integer>>map(name ->
                    () -> createVm(vmBody(name, img, 1, 64, nowhere, null)).statusCode()).toList())) {
                assertThat(created.get()).isEqualTo(201);
            }
            String last = "zz" + unique("last");
            createVm(vmBody(last, img, 1, 64, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));
            String node = unique("node");
            registerNode(node, pool, 2, 1024, "kvm-hardware", null).then().statusCode(201);
            awaitVm(last, RETRY, v -> node.equals(v.getString("status.node")));
            threads.invokeAll(blockers.stream().<java.util.concurrent.Callable<Integer>>map(name ->
                    () -> given().delete("/v1/vms/" + name).statusCode()).toList());
        }
    }

    @Test
    void deletingAVmFreesItsCapacityForAPendingOne() {
        String node = unique("node");
        registerNode(node, pool, 2, 1024, "kvm-hardware", null).then().statusCode(201);
        String img = image();
        String first = unique("first");
        createVm(vmBody(first, img, 1, 1024, pool, null)).then().statusCode(201).body("status.phase", equalTo("Scheduled"));
        String second = unique("second");
        createVm(vmBody(second, img, 1, 1024, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));
        given().delete("/v1/vms/" + first).then().statusCode(200);
        awaitVm(second, RETRY, v -> node.equals(v.getString("status.node")));
        given().get("/v1/nodes/" + node).then().body("status.allocated.memoryMiB", equalTo(1024));
    }

    @Test
    void cordonedNodesTakeNoNewWorkUntilUncordoned() {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        given().post("/v1/nodes/" + node + "/cordon").then().statusCode(200).body("spec.unschedulable", equalTo(true));
        String name = unique("vm");
        createVm(vmBody(name, image(), 1, 256, pool, null)).then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.conditions.find { it.type == 'Scheduled' }.message", containsString("1 cordoned"));
        given().post("/v1/nodes/" + node + "/uncordon").then().statusCode(200).body("spec.unschedulable", equalTo(false));
        awaitVm(name, RETRY, v -> node.equals(v.getString("status.node")));
    }

    @Test
    void acceleratorAndAntiAffinityAreHonoured() {
        String pvm = unique("pvm");
        String hw1 = unique("hw1");
        String hw2 = unique("hw2");
        registerNode(pvm, pool, 8, 8192, "kvm-pvm", null).then().statusCode(201);
        registerNode(hw1, pool, 8, 8192, "kvm-hardware", null).then().statusCode(201);
        registerNode(hw2, pool, 8, 8192, "kvm-hardware", null).then().statusCode(201);
        String img = image();
        var placed = new ArrayList<String>();
        for (int i = 0; i < 2; i++) {
            placed.add(createVm(vmBody(unique("db"), img, 1, 256, pool,
                    "\"allowedAccelerators\": [\"kvm-hardware\"], \"antiAffinityGroup\": \"db\""))
                    .then().statusCode(201).body("status.phase", equalTo("Scheduled")).extract().path("status.node"));
        }
        assertThat(placed).containsExactlyInAnyOrder(hw1, hw2);
        createVm(vmBody(unique("db"), img, 1, 256, pool, "\"allowedAccelerators\": [\"kvm-hardware\"], \"antiAffinityGroup\": \"db\""))
                .then().statusCode(201).body("status.phase", equalTo("Pending"))
                .body("status.conditions[0].message", containsString("2 anti-affinity group already present"))
                .body("status.conditions[0].message", containsString("1 accelerator not allowed"));
    }

    @Test
    void gpuRequestGetsTheWholeIommuGroupAndNothingElse() {
        String node = unique("gpu");
        String devices = "[" + gpu("0000:3b:00.0", 0, 11) + ","
                + "{\"address\": \"0000:3b:00.1\", \"vendor\": \"10de\", \"device\": \"22a3\", \"classCode\": \"0403\", \"numaNode\": 0, \"iommuGroup\": 11},"
                + gpu("0000:af:00.0", 1, 12) + ","
                + "{\"address\": \"0000:02:00.0\", \"vendor\": \"10de\", \"device\": \"2330\", \"classCode\": \"0302\", \"numaNode\": 0}]";
        registerNode(node, pool, 32, 65536, "kvm-hardware", devices).then().statusCode(201);
        String img = image();
        String gpuSpec = "\"devices\": [{\"class\": \"gpu\", \"vendor\": \"10de\", \"count\": 1}]";
        String a = unique("a");
        var first = createVm(vmBody(a, img, 2, 1024, pool, gpuSpec)).then().statusCode(201)
                .body("status.phase", equalTo("Scheduled")).extract().jsonPath();
        String b = unique("b");
        var second = createVm(vmBody(b, img, 2, 1024, pool, gpuSpec)).then().statusCode(201)
                .body("status.phase", equalTo("Scheduled")).extract().jsonPath();
        List<String> all = new ArrayList<>(first.getList("status.devices"));
        all.addAll(second.getList("status.devices"));
        // Group 11 (GPU + its audio function) and group 12; never the device without an IOMMU group.
        assertThat(all).containsExactlyInAnyOrder("0000:3b:00.0", "0000:3b:00.1", "0000:af:00.0");
        createVm(vmBody(unique("c"), img, 2, 1024, pool, gpuSpec)).then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.conditions[0].message", containsString("1 insufficient devices"));
        var assigned = given().get("/v1/nodes/" + node).then().statusCode(200).extract().jsonPath()
                .getList("status.devices.findAll { it.assignedTo != null }.address");
        assertThat(assigned).containsExactlyInAnyOrder("0000:3b:00.0", "0000:3b:00.1", "0000:af:00.0");
    }

    /**
     * Many concurrent creates against exact capacity. Every request runs in its own transaction on its own
     * database connection, so PostgreSQL sees what it would see from several control-plane replicas: the
     * scheduler holds no in-memory state that correctness depends on.
     */
    @Test
    void concurrentCreatesNeverOvercommitANodeOrADevice() throws Exception {
        String nodeA = unique("cap-a");
        String nodeB = unique("cap-b");
        // 2 x 5 slots of 512 MiB; CPU is plentiful so memory is the exact limit.
        registerNode(nodeA, pool, 64, 5 * 512, "kvm-hardware", "[" + gpu("0000:3b:00.0", 0, 1) + "," + gpu("0000:5e:00.0", 0, 2) + "]")
                .then().statusCode(201);
        registerNode(nodeB, pool, 64, 5 * 512, "kvm-hardware", "[" + gpu("0000:3b:00.0", 0, 1) + "]").then().statusCode(201);
        String img = image();
        int requests = 40;
        var tasks = new ArrayList<Callable<String>>();
        for (int i = 0; i < requests; i++) {
            String spec = i % 4 == 0 ? "\"devices\": [{\"class\": \"gpu\"}]" : null;
            String body = vmBody(unique("race"), img, 1, 512, pool, spec);
            tasks.add(() -> createVm(body).then().statusCode(201).extract().path("status.phase"));
        }
        var phases = new HashMap<String, Integer>();
        try (var executor = Executors.newFixedThreadPool(16)) {
            for (var f : executor.invokeAll(tasks)) {
                phases.merge(f.get(), 1, Integer::sum);
            }
        }
        assertThat(phases.getOrDefault("Scheduled", 0)).isEqualTo(10);
        assertThat(phases.getOrDefault("Pending", 0)).isEqualTo(requests - 10);
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            for (String node : List.of(nodeA, nodeB)) {
                try (var rs = s.executeQuery("SELECT n.memory_mib_used, n.memory_mib, (SELECT coalesce(sum((r.status -> 'resources' ->> 'memoryMiB')::bigint), 0) "
                        + "FROM resource r WHERE r.node = n.node) FROM node_capacity n WHERE n.node = '" + node + "'")) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("ledger of %s", node).isEqualTo(rs.getLong(3)).isLessThanOrEqualTo(rs.getLong(2));
                }
            }
            // No device is held by two VMs, and every held device is held by a VM that says so.
            try (var rs = s.executeQuery("SELECT count(*), count(DISTINCT r.uid) FROM node_device d JOIN resource r ON r.uid = d.workload_uid "
                    + "WHERE d.node IN ('" + nodeA + "', '" + nodeB + "') AND jsonb_exists(r.status -> 'devices', d.address)")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(rs.getInt(2));
                assertThat(rs.getInt(1)).isLessThanOrEqualTo(3);
            }
        }
    }
}
