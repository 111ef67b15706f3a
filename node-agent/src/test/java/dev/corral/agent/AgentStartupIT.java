package dev.corral.agent;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.oneOf;

import jakarta.inject.Inject;

import dev.corral.engine.host.AcceleratorProbe;
import io.quarkus.test.common.http.TestHTTPResource;
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

    @Inject
    NodeAgent agent;

    @TestHTTPResource("/v1/workloads/")
    java.net.URI workloads;

    @Test
    void followedConsoleStreamsWhatTheGuestWritesUntilTheWorkloadIsDeleted() throws Exception {
        String uid = "5e1b9a52-1c1e-4a44-9d8e-6f0a4a1f7c22";
        var console = agent.consoles().open(uid);
        write(console, "booted\ntick 1\n");
        given().when().get("/v1/workloads/" + uid + "/console?tailLines=1").then().statusCode(200).body(equalTo("tick 1\n"));

        var http = java.net.http.HttpClient.newHttpClient();
        var response = http.send(java.net.http.HttpRequest.newBuilder(workloads.resolve(uid + "/console?follow=true")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        try (var body = response.body()) {
            var seen = new StringBuilder();
            var reader = Thread.ofPlatform().start(() -> {
                try {
                    for (int b; (b = body.read()) >= 0; ) {
                        synchronized (seen) {
                            seen.append((char) b);
                        }
                    }
                } catch (java.io.IOException e) {
                    // the stream ended
                }
            });
            awaitText(seen, "tick 1\n");
            write(console, "tick 2\n");
            awaitText(seen, "tick 2\n");
            assertThat(reader.isAlive()).as("a followed console stays open").isTrue();
            agent.consoles().remove(uid);
            reader.join(5000);
            assertThat(reader.isAlive()).as("deleting the workload ends the stream").isFalse();
            assertThat(seen.toString()).isEqualTo("booted\ntick 1\ntick 2\n");
        }
    }

    private static void write(dev.corral.engine.devices.legacy.ConsoleBuffer console, String text) {
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            console.write(b);
        }
    }

    private static void awaitText(StringBuilder seen, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            synchronized (seen) {
                if (seen.toString().contains(text)) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the followed console never showed " + text.strip() + "; it showed: " + seen);
    }
}
