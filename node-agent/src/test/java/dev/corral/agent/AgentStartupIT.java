package dev.corral.agent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.oneOf;

import dev.corral.engine.host.AcceleratorProbe;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The agent alone, with no control plane to talk to (application.properties points the test at a closed port). */
@QuarkusTest
class AgentStartupIT {

    @Test
    void reportsTheAcceleratorThisHostReallyHas() {
        given().when().get("/q/health/ready")
                .then().body("checks.find { it.name == 'accelerator' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'accelerator' }.data.kind", oneOf("kvm-hardware", "kvm-pvm", "emulated-only"))
                .body("checks.find { it.name == 'accelerator' }.data.kind",
                        equalTo(AcceleratorProbe.ofHost().probe().accelerator().wireName()));
    }

    @Test
    void isNotReadyWhileTheControlPlaneIsUnreachableAndSaysWhy() {
        given().when().get("/q/health/ready")
                .then().statusCode(503)
                .body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'registration' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'registration' }.data.problem", oneOf("not registered yet",
                        "cannot reach the control plane at http://127.0.0.1:1: ConnectException"))
                .body("checks.find { it.name == 'registration' }.data.node", containsString("test-node"));
    }

    @Test
    void consoleOfAWorkloadThisNodeDoesNotHaveIsANotFoundProblem() {
        given().when().get("/v1/workloads/3f1b9a52-1c1e-4a44-9d8e-6f0a4a1f7c11/console")
                .then().statusCode(404)
                .contentType("application/problem+json")
                .body("detail", containsString("no workload 3f1b9a52-1c1e-4a44-9d8e-6f0a4a1f7c11"));
        given().when().get("/v1/workloads/x/console?tailLines=-1")
                .then().statusCode(400)
                .contentType("application/problem+json");
    }
}
