package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;

import java.util.List;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class NodeApiIT {

    private final String pool = unique("pool");

    @Test
    void agentRegistersThenReRegistersItsNode() {
        String node = unique("node");
        registerNode(node, pool, 4, 8192, "kvm-pvm", "[" + Api.gpu("0000:3b:00.0", 0, 3) + "]").then().statusCode(201)
                .header("Location", containsString("/v1/nodes/" + node))
                .body("kind", equalTo("Node"))
                .body("metadata.project", equalTo(null))
                .body("status.phase", equalTo("Ready"))
                .body("status.accelerator", equalTo("kvm-pvm"))
                .body("status.allocatable.vcpus", equalTo(16.0f))
                .body("status.allocatable.memoryMiB", equalTo(8192))
                .body("status.devices[0].class", equalTo("gpu"));
        registerNode(node, pool, 8, 8192, "kvm-pvm", "[]").then().statusCode(200)
                .body("status.capacity.vcpus", equalTo(8))
                .body("status.devices", hasSize(0));
        given().queryParam("labelSelector", "pool=" + pool).get("/v1/nodes").then().statusCode(200)
                .body("kind", equalTo("NodeList"))
                .body("items.metadata.name", hasItem(node));
        given().post("/v1/nodes/" + node + "/heartbeat").then().statusCode(204);
        given().queryParam("involvedObject", "node/" + node).get("/v1/events").then().statusCode(200)
                .body("items.reason", hasItem("Registered"));
        given().post("/v1/nodes/" + unique("ghost") + "/heartbeat").then().statusCode(404);
    }

    @Test
    void invalidRegistrationNamesEachBadField() {
        json().body("""
                {"accelerator": "warp-drive", "capacity": {"vcpus": 0, "memoryMiB": 1024},
                 "devices": [{"address": "3b:00.0", "vendor": "nvidia", "device": "2330", "classCode": "0302"}]}""")
                .put("/v1/nodes/" + unique("bad")).then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItem("accelerator"))
                .body("errors.field", hasItem("capacity.vcpus"))
                .body("errors.field", hasItem("devices[0].address"))
                .body("errors.field", hasItem("devices[0].vendor"));
    }

    @Test
    void nodeShowsTheAgentEndpointItRegisteredUntilItRegistersWithoutOne() {
        String node = unique("node");
        Api.registerNodeWithAgent(node, pool, "http://10.0.0.7:8081").then().statusCode(201)
                .body("status.agentEndpoint", equalTo("http://10.0.0.7:8081"));
        given().get("/v1/nodes/" + node).then().statusCode(200)
                .body("status.agentEndpoint", equalTo("http://10.0.0.7:8081"));
        Api.registerNodeWithAgent(node, pool, null).then().statusCode(200)
                .body("status", not(hasKey("agentEndpoint")));
    }

    @Test
    void agentEndpointThatIsNotAnHttpUrlIsInvalid() {
        for (String bad : List.of("10.0.0.7:8081", "ftp://10.0.0.7/", "http://", "http://10.0.0.7:8081/?x=1")) {
            Api.registerNodeWithAgent(unique("node"), pool, bad).then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("errors.field", hasItem("agentEndpoint"));
        }
    }

    @Test
    void assignmentsListTheWorkloadsPlacedOnTheNode() {
        String node = unique("node");
        registerNode(node, pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String vm = unique("vm");
        createVm(vmBody(vm, image(), 1, 256, pool, null)).then().statusCode(201).body("status.node", equalTo(node));
        given().get("/v1/nodes/" + node + "/assignments").then().statusCode(200)
                .body("kind", equalTo("AssignmentList"))
                .body("items", hasSize(1))
                .body("items[0].kind", equalTo("VM"))
                .body("items[0].metadata.name", equalTo(vm))
                .body("items[0].spec.runState", equalTo("Running"));
        given().get("/v1/nodes/" + unique("ghost") + "/assignments").then().statusCode(404);
    }

    @Test
    void seededInstanceTypesAreThereAndNewOnesCanBeAdded() {
        given().get("/v1/instancetypes/c1.small").then().statusCode(200)
                .body("spec.vcpus", equalTo(1)).body("spec.memoryMiB", equalTo(1024));
        given().get("/v1/instancetypes/g1.xlarge").then().statusCode(200).body("spec.devices[0].class", equalTo("gpu"));
        String name = unique("t") + ".large";
        json().body("{\"metadata\": {\"name\": \"" + name + "\"}, \"spec\": {\"vcpus\": 6, \"memoryMiB\": 12288}}")
                .post("/v1/instancetypes").then().statusCode(201).body("spec.vcpus", equalTo(6));
        json().body("{\"metadata\": {\"name\": \"" + name + "\"}, \"spec\": {\"vcpus\": 6}}")
                .put("/v1/instancetypes/" + name).then().statusCode(400).body("errors[0].field", equalTo("spec.memoryMiB"));
        given().delete("/v1/instancetypes/" + name).then().statusCode(200);
        given().get("/v1/instancetypes/" + name).then().statusCode(404);
    }

    @Test
    void blobsAreContentAddressedAndImagesMustReferenceUploadedOnes() {
        byte[] kernel = ("a kernel " + unique("k")).getBytes();
        String sha = given().contentType("application/octet-stream").body(kernel).post("/v1/blobs").then().statusCode(201)
                .body("size", equalTo(kernel.length)).extract().path("sha256");
        given().contentType("application/octet-stream").body(kernel).post("/v1/blobs").then().statusCode(200)
                .body("sha256", equalTo(sha));
        given().contentType("application/octet-stream").body(kernel).queryParam("sha256", "0".repeat(64))
                .post("/v1/blobs").then().statusCode(422).contentType("application/problem+json");
        byte[] back = given().get("/v1/blobs/" + sha).then().statusCode(200).header("ETag", containsString(sha))
                .extract().asByteArray();
        org.assertj.core.api.Assertions.assertThat(back).isEqualTo(kernel);
        given().get("/v1/blobs/" + "f".repeat(64)).then().statusCode(404);
        json().body("{\"metadata\": {\"name\": \"" + unique("img") + "\"}, \"spec\": {\"kernel\": {\"sha256\": \"" + "e".repeat(64) + "\"}}}")
                .post("/v1/images").then().statusCode(422).body("detail", containsString("never uploaded"));
        String img = unique("img");
        json().body("{\"metadata\": {\"name\": \"" + img + "\"}, \"spec\": {\"kernel\": {\"sha256\": \"" + sha + "\"}}}")
                .post("/v1/images").then().statusCode(201)
                .body("spec.kernel.size", equalTo(kernel.length))
                .body("spec.architecture", equalTo("x86_64"));
    }
}
