package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.getVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.registerNodeWithSubnet;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.uniqueSubnet;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.nullValue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** VM networks: MACs at create, addresses from the node's subnet at placement, kept while the VM lives. */
@QuarkusTest
class VmNetworkIT {

    private static final String ATTACHED = "\"network\": \"attached\"";
    private final String pool = unique("pool");

    /** 10.A.B.C/29 → "10.A.B.(C+i)" */
    private static String host(String subnet, int i) {
        String base = subnet.substring(0, subnet.indexOf('/'));
        int dot = base.lastIndexOf('.');
        return base.substring(0, dot + 1) + (Integer.parseInt(base.substring(dot + 1)) + i);
    }

    @Test
    void nodeSubnetMustBeANetworkAddressWithAPrefixFrom16To29() {
        registerNodeWithSubnet(unique("node"), pool, "10.88.0.5/24").then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("subnet"))
                .body("errors[0].message", containsString("10.88.0.0/24"));
        registerNodeWithSubnet(unique("node"), pool, "10.0.0.0/8").then().statusCode(400).body("errors[0].field", equalTo("subnet"));
        registerNodeWithSubnet(unique("node"), pool, "10.88.0.0/30").then().statusCode(400).body("errors[0].field", equalTo("subnet"));
        registerNodeWithSubnet(unique("node"), pool, "fd00::/64").then().statusCode(400).body("errors[0].field", equalTo("subnet"));
        String node = unique("node");
        registerNodeWithSubnet(node, pool, "10.88.0.0/24").then().statusCode(201).body("status.subnet", equalTo("10.88.0.0/24"));
        given().get("/v1/nodes/" + node).then().body("status.subnet", equalTo("10.88.0.0/24"));
    }

    @Test
    void attachedVmsGetUniqueMacsAndTheLowestFreeAddressesNeverNetworkGatewayOrBroadcast() {
        String subnet = uniqueSubnet();
        registerNodeWithSubnet(unique("node"), pool, subnet).then().statusCode(201);
        String img = image();
        var names = new ArrayList<String>();
        var macs = new HashSet<String>();
        // A /29 has 8 addresses: the network, the gateway, five for VMs, the broadcast.
        for (int i = 0; i < 5; i++) {
            String name = unique("net");
            names.add(name);
            String mac = createVm(vmBody(name, img, 1, 64, pool, ATTACHED)).then().statusCode(201)
                    .body("spec.network", equalTo("attached"))
                    .body("status.phase", equalTo("Scheduled"))
                    .body("status.network.ip", equalTo(host(subnet, 2 + i)))
                    .body("status.network.subnet", equalTo(subnet))
                    .body("status.network.mac", matchesPattern("02(:[0-9a-f]{2}){5}"))
                    .extract().path("status.network.mac");
            macs.add(mac);
        }
        assertThat(macs).hasSize(5);
        String sixth = unique("net");
        createVm(vmBody(sixth, img, 1, 64, pool, ATTACHED)).then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.network.mac", matchesPattern("02(:[0-9a-f]{2}){5}"))
                .body("status.network.ip", nullValue())
                .body("status.conditions.find { it.type == 'Scheduled' }.message", containsString("no free address in the VM subnet"));
        // Deleting frees the address; the pending VM gets it (the lowest free one).
        given().delete("/v1/vms/" + names.get(1)).then().statusCode(200);
        var placed = Api.awaitVm(sixth, Duration.ofSeconds(15), vm -> "Scheduled".equals(vm.getString("status.phase")));
        assertThat(placed.getString("status.network.ip")).isEqualTo(host(subnet, 3));
    }

    @Test
    void concurrentPlacementsOnNodesSharingASubnetNeverShareAnAddress() throws Exception {
        String subnet = uniqueSubnet();
        // Two agents on one host, one bridge: one pool of five addresses.
        registerNodeWithSubnet(unique("node"), pool, subnet).then().statusCode(201);
        registerNodeWithSubnet(unique("node"), pool, subnet).then().statusCode(201);
        String img = image();
        var creates = new ArrayList<Callable<String>>();
        for (int i = 0; i < 5; i++) {
            String name = unique("race");
            creates.add(() -> createVm(vmBody(name, img, 1, 64, pool, ATTACHED)).then().statusCode(201).extract().path("metadata.name"));
        }
        List<String> names;
        try (var pool = Executors.newFixedThreadPool(5)) {
            names = pool.invokeAll(creates).stream().map(f -> {
                try {
                    return f.get();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }).toList();
        }
        var ips = new HashSet<String>();
        for (String name : names) {
            var vm = Api.awaitVm(name, Duration.ofSeconds(20), v -> "Scheduled".equals(v.getString("status.phase")));
            ips.add(vm.getString("status.network.ip"));
        }
        assertThat(ips).containsExactlyInAnyOrder(host(subnet, 2), host(subnet, 3), host(subnet, 4), host(subnet, 5), host(subnet, 6));
    }

    @Test
    void stopAndStartKeepTheAddressAndTheMac() {
        registerNodeWithSubnet(unique("node"), pool, uniqueSubnet()).then().statusCode(201);
        String name = unique("keep");
        createVm(vmBody(name, image(), 1, 64, pool, ATTACHED)).then().statusCode(201).body("status.phase", equalTo("Scheduled"));
        var before = getVm(name);
        json().body("{\"force\": true}").post("/v1/vms/" + name + "/stop").then().statusCode(200);
        given().post("/v1/vms/" + name + "/start").then().statusCode(200);
        given().post("/v1/vms/" + name + "/restart").then().statusCode(200);
        var after = getVm(name);
        assertThat(after.getString("status.network.ip")).isEqualTo(before.getString("status.network.ip")).isNotNull();
        assertThat(after.getString("status.network.mac")).isEqualTo(before.getString("status.network.mac"));
    }

    @Test
    void attachedVmStaysPendingWhenNoNodeHasASubnet() {
        registerNode(unique("node"), pool, 8, 8192, "kvm-hardware", null).then().statusCode(201);
        String name = unique("lonely");
        createVm(vmBody(name, image(), 1, 64, pool, ATTACHED)).then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.node", nullValue())
                .body("status.conditions.find { it.type == 'Scheduled' }.reason", equalTo("Unschedulable"))
                .body("status.conditions.find { it.type == 'Scheduled' }.message",
                        containsString("1 no VM network (the agent registered no subnet)"));
        given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then().body("items.reason", hasItem("FailedScheduling"));
    }

    @Test
    void vmWithoutNetworkHasNoneAndNeedsNoSubnet() {
        registerNode(unique("node"), pool, 8, 8192, "kvm-hardware", null).then().statusCode(201);
        createVm(vmBody(unique("plain"), image(), 1, 64, pool, "\"network\": \"none\"")).then().statusCode(201)
                .body("status.phase", equalTo("Scheduled")).body("status.network", nullValue());
        createVm(vmBody(unique("plain"), image(), 1, 64, pool, null)).then().statusCode(201)
                .body("status.phase", equalTo("Scheduled")).body("status.network", nullValue());
    }

    @Test
    void networkIsValidatedAndCannotChange() {
        String img = image();
        createVm(vmBody(unique("bad"), img, 1, 64, pool, "\"network\": \"bridged\"")).then().statusCode(400)
                .contentType("application/problem+json").body("errors[0].field", equalTo("spec.network"));
        createVm(vmBody(unique("bad"), img, 1, 64, pool, "\"network\": {\"mode\": \"attached\"}")).then().statusCode(400)
                .body("errors[0].field", equalTo("spec.network"));
        String name = unique("fixed");
        createVm(vmBody(name, img, 1, 64, pool, ATTACHED)).then().statusCode(201);
        json().body(vmBody(name, img, 1, 64, pool, "\"network\": \"none\"")).put("/v1/vms/" + name).then().statusCode(422)
                .contentType("application/problem+json").body("errors[0].field", equalTo("spec.network"));
        json().body(vmBody(name, img, 1, 64, pool, null)).put("/v1/vms/" + name).then().statusCode(422)
                .body("errors[0].field", equalTo("spec.network"));
        // Anything else may still change, and the MAC stays.
        String mac = getVm(name).getString("status.network.mac");
        json().body(vmBody(name, img, 1, 64, pool, ATTACHED + ", \"cmdline\": \"quiet\"")).put("/v1/vms/" + name).then().statusCode(200)
                .body("status.network.mac", equalTo(mac));
    }
}
