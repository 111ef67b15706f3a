package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import java.util.HashSet;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Vm;
import dev.corral.controlplane.store.ResourceStore;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
class VmApiIT {

    private final String pool = unique("pool");

    @Inject
    ResourceStore store;

    @Inject
    ObjectMapper mapper;

    /**
     * A VM is shown from its stored parts (VmService.view): byte for byte what its rendered tree read as a record
     * shows, for VMs placed and pending, typed and sized, with every optional field of the spec given.
     */
    @Test
    void aVmShowsAsItsRenderedObject() throws Exception {
        registerNode(unique("node"), pool, 8, 16384, "kvm-hardware", null).then().statusCode(201);
        String full = unique("full");
        String typed = unique("typed");
        String pending = unique("pending");
        createVm("""
                {"metadata": {"name": "%s", "labels": {"tier": "web", "a": "1"}},
                 "spec": {"vcpus": 1, "memoryMiB": 512, "image": "%s", "cmdline": "console=ttyS0 quiet",
                  "nodeSelector": {"pool": "%s"}, "antiAffinityGroup": "g1", "allowedAccelerators": ["kvm-hardware"],
                  "restartPolicy": "Always", "runState": "Running", "stopTimeoutSeconds": 5}}"""
                .formatted(full, image(), pool)).then().statusCode(201);
        createVm("""
                {"metadata": {"name": "%s"}, "spec": {"instanceType": "c1.medium", "image": "%s", "nodeSelector": {"pool": "%s"}}}"""
                .formatted(typed, image(), pool)).then().statusCode(201);
        createVm(vmBody(pending, image(), 1, 65536, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));
        for (String name : new String[] {full, typed, pending}) {
            String shown = given().get("/v1/vms/" + name).then().statusCode(200).extract().asString();
            var stored = store.find(Vm.KIND, "default", name).orElseThrow();
            assertThat(shown).isEqualTo(mapper.writeValueAsString(mapper.treeToValue(store.render(stored), Vm.class)));
        }
    }

    @Test
    void createVmIsScheduledOntoAFittingNodeWithAReason() {
        String node = unique("node");
        registerNode(node, pool, 4, 8192, "kvm-hardware", null).then().statusCode(201);
        String name = unique("web");
        createVm(vmBody(name, image(), 2, 2048, pool, null)).then()
                .statusCode(201)
                .header("Location", containsString("/v1/vms/" + name))
                .header("ETag", notNullValue())
                .body("kind", equalTo("VM"))
                .body("metadata.project", equalTo("default"))
                .body("metadata.generation", equalTo(1))
                .body("spec.restartPolicy", equalTo("OnFailure"))
                .body("status.phase", equalTo("Scheduled"))
                .body("status.node", equalTo(node))
                .body("status.conditions.find { it.type == 'Scheduled' }.status", equalTo("True"))
                .body("status.conditions.find { it.type == 'Scheduled' }.message", equalTo("Placed on node " + node));
        given().get("/v1/nodes/" + node).then().statusCode(200)
                .body("status.allocated.vcpus", equalTo(2.0f))
                .body("status.allocated.memoryMiB", equalTo(2048));
        given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then().statusCode(200)
                .body("items.reason", hasItem("Scheduled"));
    }

    @Test
    void instanceTypeGivesTheShape() {
        registerNode(unique("node"), pool, 8, 16384, "kvm-hardware", null).then().statusCode(201);
        String name = unique("typed");
        createVm("""
                {"metadata": {"name": "%s"}, "spec": {"instanceType": "c1.medium", "image": "%s", "nodeSelector": {"pool": "%s"}}}"""
                .formatted(name, image(), pool)).then().statusCode(201)
                .body("status.resources.vcpus", equalTo(2.0f))
                .body("status.resources.memoryMiB", equalTo(4096))
                .body("status.phase", equalTo("Scheduled"));
    }

    @Test
    void vmThatFitsNowhereStaysPendingWithAReadableReason() {
        registerNode(unique("node"), pool, 2, 1024, "kvm-hardware", null).then().statusCode(201);
        String name = unique("huge");
        createVm(vmBody(name, image(), 1, 4096, pool, null)).then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.node", nullValue())
                .body("status.conditions.find { it.type == 'Scheduled' }.reason", equalTo("Unschedulable"))
                .body("status.conditions.find { it.type == 'Scheduled' }.message", containsString("node selector mismatch"))
                .body("status.conditions.find { it.type == 'Scheduled' }.message", containsString("1 insufficient memory"));
        given().queryParam("involvedObject", "VM/" + name).get("/v1/events").then()
                .body("items.find { it.reason == 'FailedScheduling' }.type", equalTo("Warning"));
    }

    @Test
    void duplicateNameIsConflict() {
        String name = unique("dup");
        String img = image();
        createVm(vmBody(name, img, 1, 64, pool, null)).then().statusCode(201);
        createVm(vmBody(name, img, 1, 64, pool, null)).then().statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/already-exists"))
                .body("detail", equalTo("VM '" + name + "' already exists."));
    }

    @Test
    void badBodiesAreProblemJsonWithFieldErrors() {
        // What breaks the openapi.yaml schema is reported first, every such field at once...
        json().body("{\"metadata\": {\"name\": \"Not_A_Name\"}, \"spec\": {\"vcpus\": 0, \"memoryMiB\": 64}}").post("/v1/vms")
                .then().statusCode(400).contentType("application/problem+json")
                .body("status", equalTo(400))
                .body("errors.field", hasItem("spec.vcpus"))
                .body("errors.field", hasItem("spec.image"));
        // ...then the rules beyond it, such as a name's syntax.
        json().body("{\"metadata\": {\"name\": \"Not_A_Name\"}, \"spec\": {\"vcpus\": 1, \"memoryMiB\": 64, \"image\": \"i\"}}")
                .post("/v1/vms").then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItem("metadata.name"));
        json().body("{\"metadata\": {\"name\": \"typo\"}, \"spec\": {\"vcpu\": 2}}").post("/v1/vms")
                .then().statusCode(400).contentType("application/problem+json")
                .body("errors[0].field", equalTo("spec.vcpu"));
        json().body("{\"metadata\": {\"name\": \"x\"}, \"spec\": {\"vcpus\": \"two\"}}").post("/v1/vms")
                .then().statusCode(400).body("errors[0].field", equalTo("spec.vcpus"));
        json().body("{oops").post("/v1/vms").then().statusCode(400).contentType("application/problem+json");
        json().body(vmBody(unique("both"), "img", 1, 64, pool, "\"instanceType\": \"c1.small\"")).post("/v1/vms")
                .then().statusCode(400).body("errors[0].field", equalTo("spec.instanceType"));
        json().body(vmBody(unique("policy"), "img", 1, 64, pool, "\"restartPolicy\": \"Sometimes\"")).post("/v1/vms")
                .then().statusCode(400).body("errors.field", hasItem("spec.restartPolicy"));
    }

    @Test
    void referencesToMissingThingsAreUnprocessable() {
        createVm(vmBody(unique("noimg"), "no-such-image", 1, 64, pool, null)).then().statusCode(422)
                .contentType("application/problem+json")
                .body("detail", containsString("Image 'no-such-image', which does not exist"));
        createVm("""
                {"metadata": {"name": "%s"}, "spec": {"instanceType": "z9.galactic", "image": "%s"}}""".formatted(unique("notype"), image()))
                .then().statusCode(422).body("detail", containsString("InstanceType 'z9.galactic'"));
    }

    @Test
    void missingVmIs404ProblemJson() {
        given().get("/v1/vms/nope-" + unique("x")).then().statusCode(404).contentType("application/problem+json")
                .body("title", equalTo("Not Found"));
        given().delete("/v1/vms/nope").then().statusCode(404);
        given().post("/v1/vms/nope/start").then().statusCode(404);
    }

    @Test
    void sameIdempotencyKeyAndBodyCreatesOnceAndAnswersTheSame() {
        registerNode(unique("node"), pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String body = vmBody(unique("idem"), image(), 1, 256, pool, null);
        String key = unique("key");
        String first = json().header("Idempotency-Key", key).body(body).post("/v1/vms").then().statusCode(201)
                .extract().path("metadata.uid");
        String second = json().header("Idempotency-Key", key).body(body).post("/v1/vms").then().statusCode(201)
                .extract().path("metadata.uid");
        assertThat(second).isEqualTo(first);
        String other = vmBody(unique("idem"), image(), 1, 256, pool, null);
        json().header("Idempotency-Key", key).body(other).post("/v1/vms").then().statusCode(422)
                .body("detail", containsString("already used for a different request"));
    }

    @Test
    void etagsAndIfMatchProtectAgainstLostUpdates() {
        String name = unique("etag");
        String img = image();
        String etag = createVm(vmBody(name, img, 1, 64, pool, null)).then().statusCode(201).extract().header("ETag");
        given().header("If-None-Match", etag).get("/v1/vms/" + name).then().statusCode(304);
        String changed = json().header("If-Match", etag)
                .body(vmBody(name, img, 1, 64, pool, "\"cmdline\": \"console=ttyS0 quiet\"")).put("/v1/vms/" + name)
                .then().statusCode(200).body("metadata.generation", equalTo(2)).extract().header("ETag");
        assertThat(changed).isNotEqualTo(etag);
        json().header("If-Match", etag).body(vmBody(name, img, 1, 64, pool, null)).put("/v1/vms/" + name)
                .then().statusCode(409).contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/stale-resource-version"));
        given().header("If-Match", etag).delete("/v1/vms/" + name).then().statusCode(409);
        // The bare resourceVersion from metadata works as well as the quoted ETag.
        String rv = getVmRv(name);
        given().header("If-Match", rv).post("/v1/vms/" + name + "/start").then().statusCode(200);
        changed = given().get("/v1/vms/" + name).then().extract().header("ETag");
        given().header("If-Match", changed).delete("/v1/vms/" + name).then().statusCode(200).body("metadata.name", equalTo(name));
        given().get("/v1/vms/" + name).then().statusCode(404);
    }

    @Test
    void placedVmCannotBeResizedButCanBeRelabelled() {
        registerNode(unique("node"), pool, 4, 4096, "kvm-hardware", null).then().statusCode(201);
        String name = unique("placed");
        String img = image();
        createVm(vmBody(name, img, 1, 256, pool, null)).then().statusCode(201).body("status.phase", equalTo("Scheduled"));
        json().body(vmBody(name, img, 2, 256, pool, null)).put("/v1/vms/" + name).then().statusCode(422)
                .body("detail", containsString("spec.vcpus"));
        json().body(vmBody(name, img, 1, 256, pool, null).replace("\"app\": \"test\"", "\"app\": \"renamed\""))
                .put("/v1/vms/" + name).then().statusCode(200)
                .body("metadata.labels.app", equalTo("renamed"))
                .body("metadata.generation", equalTo(1));
    }

    @Test
    void stopStartAndRestartRecordTheUsersIntent() {
        String name = unique("life");
        createVm(vmBody(name, image(), 1, 64, pool, null)).then().statusCode(201).body("spec.runState", equalTo("Running"));
        json().body("{\"timeoutSeconds\": 5}").post("/v1/vms/" + name + "/stop").then().statusCode(200)
                .body("spec.runState", equalTo("Stopped")).body("spec.stopRequest.timeoutSeconds", equalTo(5))
                .body("spec.stopTimeoutSeconds", equalTo(30))
                .body("metadata.generation", equalTo(2));
        json().body("{\"force\": true}").post("/v1/vms/" + name + "/stop").then().statusCode(200)
                .body("spec.stopRequest.timeoutSeconds", equalTo(0)).body("spec.stopRequest.force", equalTo(true))
                .body("spec.stopTimeoutSeconds", equalTo(30));
        given().post("/v1/vms/" + name + "/start").then().statusCode(200).body("spec.runState", equalTo("Running"))
                .body("spec.stopRequest", nullValue());
        given().post("/v1/vms/" + name + "/restart").then().statusCode(200).body("spec.restartRequestedAt", notNullValue());
        json().body("{\"timeoutSeconds\": -1}").post("/v1/vms/" + name + "/stop").then().statusCode(400);
        given().queryParam("involvedObject", "vm/" + name).get("/v1/events").then()
                .body("items.reason", hasItem("StopRequested"))
                .body("items.reason", hasItem("StartRequested"))
                .body("items.reason", hasItem("RestartRequested"));
    }

    @Test
    void listsPageWithContinueAndSelectLabels() {
        String img = image();
        String tag = unique("t");
        for (int i = 0; i < 5; i++) {
            json().body("""
                    {"metadata": {"name": "%s-%d", "labels": {"batch": "%s", "tier": "%s"}},
                     "spec": {"image": "%s", "vcpus": 1, "memoryMiB": 64, "nodeSelector": {"pool": "%s"}}}"""
                    .formatted(tag, i, tag, i % 2 == 0 ? "web" : "db", img, pool)).post("/v1/vms").then().statusCode(201);
        }
        var seen = new HashSet<String>();
        String cont = null;
        int pages = 0;
        do {
            var req = given().queryParam("labelSelector", "batch=" + tag).queryParam("limit", 2);
            if (cont != null) {
                req.queryParam("continue", cont);
            }
            var page = req.get("/v1/vms").then().statusCode(200).body("kind", equalTo("VMList")).extract().jsonPath();
            seen.addAll(page.getList("items.metadata.name"));
            cont = page.getString("metadata.continue");
            pages++;
        } while (cont != null);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(5);
        given().queryParam("labelSelector", "batch=" + tag + ",tier!=db").get("/v1/vms").then().body("items", hasSize(3));
        given().queryParam("labelSelector", "batch in (" + tag + "),tier notin (web)").get("/v1/vms").then().body("items", hasSize(2));
        given().queryParam("labelSelector", "batch=" + tag + ",!tier").get("/v1/vms").then().body("items", hasSize(0));
        given().queryParam("labelSelector", "bad key=x").get("/v1/vms").then().statusCode(400)
                .body("errors[0].field", equalTo("labelSelector"));
        given().queryParam("continue", "not-a-token").get("/v1/vms").then().statusCode(400);
        given().queryParam("limit", 0).get("/v1/vms").then().statusCode(400);
    }

    private static String getVmRv(String name) {
        return given().get("/v1/vms/" + name).then().statusCode(200).extract().path("metadata.resourceVersion");
    }

    @Test
    void resizingAPendingVmSchedulesItWithItsNewShape() {
        registerNode(unique("node"), pool, 2, 2048, "kvm-hardware", null).then().statusCode(201);
        String name = unique("shrink");
        String img = image();
        createVm(vmBody(name, img, 1, 4096, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));
        json().body(vmBody(name, img, 1, 1024, pool, null)).put("/v1/vms/" + name).then().statusCode(200)
                .body("status.phase", equalTo("Scheduled"))
                .body("status.resources.memoryMiB", equalTo(1024));
    }

    @Test
    void unknownProjectIs404() {
        given().queryParam("project", "nowhere").get("/v1/vms").then().statusCode(404)
                .body("detail", equalTo("Project 'nowhere' not found."));
    }
}
