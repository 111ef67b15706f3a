package dev.corral.agent;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.oneOf;

import dev.corral.engine.host.AcceleratorProbe;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AgentStartupIT {

    @Test
    void readinessReportsTheAcceleratorThisHostReallyHas() {
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItem("accelerator"))
                .body("checks.find { it.name == 'accelerator' }.data.kind",
                        oneOf("kvm-hardware", "kvm-pvm", "emulated-only"))
                .body("checks.find { it.name == 'accelerator' }.data.kind",
                        equalTo(AcceleratorProbe.ofHost().probe().accelerator().wireName()));
    }
}
