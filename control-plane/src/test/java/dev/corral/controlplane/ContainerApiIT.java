package dev.corral.controlplane;

import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ContainerApiIT {

    private final String pool = unique("pool");

    private String body(String name, String cpus) {
        return """
                {"metadata": {"name": "%s"}, "spec": {"image": "docker.io/library/busybox:1.36", "command": ["sh", "-c", "sleep 1d"],
                 "env": {"GREETING": "hi"}, %s "nodeSelector": {"pool": "%s"}}}""".formatted(name, cpus, pool);
    }

    @Test
    void containersAreScheduledLikeVmsWithFractionalCpus() {
        String node = unique("node");
        registerNode(node, pool, 1, 1024, "emulated-only", null).then().statusCode(201);
        String a = unique("c");
        json().body(body(a, "\"cpus\": 0.5,")).post("/v1/containers").then().statusCode(201)
                .body("kind", equalTo("Container"))
                .body("spec.memoryMiB", equalTo(256))
                .body("spec.restartPolicy", equalTo("Always"))
                .body("spec.stopTimeoutSeconds", equalTo(10))
                .body("status.phase", equalTo("Scheduled"))
                .body("status.node", equalTo(node))
                .body("status.resources.vcpus", equalTo(0.5f));
        // 1 vCPU x 4.0 allocation ratio = 4 vCPUs: 0.5 + 3.5 fits, one more 0.5 does not.
        json().body(body(unique("c"), "\"cpus\": 3.5,")).post("/v1/containers").then().statusCode(201)
                .body("status.phase", equalTo("Scheduled"));
        json().body(body(unique("c"), "\"cpus\": 0.5,")).post("/v1/containers").then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.conditions[0].message", containsString("1 insufficient cpu"));
        json().body("{}").post("/v1/containers/" + a + "/stop").then().statusCode(200)
                .body("spec.stopRequest.timeoutSeconds", equalTo(10));
        given().get("/v1/nodes/" + node + "/assignments").then().body("items.metadata.name", hasItem(a));
        given().delete("/v1/containers/" + a).then().statusCode(200);
    }

    @Test
    void badContainerSpecsAreFieldErrors() {
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "Not An Image", "cpus": 0, "env": {"1BAD": "x"}}}"""
                .formatted(unique("bad"))).post("/v1/containers").then().statusCode(400)
                .body("errors.field", hasItem("spec.cpus"));
        // Once the body conforms to the openapi.yaml schema, the rules beyond it, every field at once.
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "Not An Image", "cpus": 1, "env": {"1BAD": "x"}}}"""
                .formatted(unique("bad"))).post("/v1/containers").then().statusCode(400)
                .body("errors.field", hasItem("spec.image"))
                .body("errors.field", hasItem("spec.env"));
    }
}
