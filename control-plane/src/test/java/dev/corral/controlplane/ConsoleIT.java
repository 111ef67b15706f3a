package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.getVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.registerNodeWithAgent;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** VM consoles proxied from the node agent, against a stand-in agent that serves the agent's console endpoint. */
@QuarkusTest
class ConsoleIT {

    @TestHTTPResource("/")
    URI base;

    private final String pool = unique("pool");
    private final StandInAgent agent;

    ConsoleIT() throws IOException {
        agent = new StandInAgent();
    }

    @AfterEach
    void stopAgent() {
        agent.close();
    }

    /** A VM placed on a fresh node whose agent answers at {@code agentEndpoint}; returns its name. */
    private String placedVm(String agentEndpoint) {
        registerNodeWithAgent(unique("node"), pool, agentEndpoint).then().statusCode(201);
        String name = unique("vm");
        createVm(vmBody(name, image(), 1, 512, pool, null)).then().statusCode(201).body("status.phase", equalTo("Scheduled"));
        return name;
    }

    private static String uid(String vm) {
        return getVm(vm).getString("metadata.uid");
    }

    /** A console the way guests write them: CRLF, UTF-8, escape sequences, a stray non-UTF-8 byte, a NUL; over many chunks. */
    private static byte[] guestConsole() {
        var console = new ByteArrayOutputStream();
        console.writeBytes("corral ticker: booted\r\nnaïve ✓ ünïcödé\n\u001b[1;32mOK\u001b[0m\n".getBytes(StandardCharsets.UTF_8));
        console.writeBytes(new byte[] {(byte) 0xff, (byte) 0xc3, 0, '\n'});
        var random = new Random(42);
        for (int i = 0; i < 4000; i++) {
            console.writeBytes(("tick " + i + " " + Long.toHexString(random.nextLong()) + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        return console.toByteArray();
    }

    @Test
    void consolePassesThroughByteForByte() {
        String vm = placedVm(agent.endpoint());
        byte[] console = guestConsole();
        assertThat(console.length).isGreaterThan(64 * 1024);
        agent.holdConsole(uid(vm), console);

        byte[] answer = given().get("/v1/vms/" + vm + "/console").then().statusCode(200)
                .contentType(containsString("text/plain"))
                .extract().asByteArray();

        assertThat(answer).isEqualTo(console);
        assertThat(agent.queries).containsExactly("follow=false");
    }

    @Test
    void tailLinesIsForwardedToTheAgent() {
        String vm = placedVm(agent.endpoint());
        agent.holdConsole(uid(vm), "one\ntwo\nthree\n".getBytes(StandardCharsets.US_ASCII));

        String answer = given().queryParam("tailLines", 2).get("/v1/vms/" + vm + "/console").then().statusCode(200)
                .extract().asString();

        assertThat(answer).isEqualTo("two\nthree\n");
        assertThat(agent.queries).containsExactly("follow=false&tailLines=2");
    }

    @Test
    void followStreamsLinesWhileTheAgentKeepsTheStreamOpenAndClosingItReachesTheAgent() throws Exception {
        String vm = placedVm(agent.endpoint());
        agent.holdConsole(uid(vm), "corral ticker: booted\n".getBytes(StandardCharsets.US_ASCII));
        // HttpURLConnection, not HttpClient: disconnect() closes the socket for certain, as a client going away does.
        var connection = (HttpURLConnection) base.resolve("/v1/vms/" + vm + "/console?follow=true&tailLines=10").toURL().openConnection();
        connection.setRequestProperty("Authorization", "Bearer " + ApiTokens.admin());
        assertThat(connection.getResponseCode()).isEqualTo(200);
        assertThat(connection.getContentType()).startsWith("text/plain");

        // The agent streams for 60 s: these lines can only arrive within 5 s if each is passed on as it comes.
        var reading = CompletableFuture.supplyAsync(() -> readLines(connection, 4));
        List<String> lines = reading.get(5, TimeUnit.SECONDS);
        assertThat(lines).containsExactly("corral ticker: booted", "tick 1", "tick 2", "tick 3");
        assertThat(agent.queries).containsExactly("follow=true&tailLines=10");

        connection.disconnect();
        assertThat(agent.followerGone.await(5, TimeUnit.SECONDS))
                .as("the agent's stream is closed once the client went away").isTrue();
    }

    private static List<String> readLines(HttpURLConnection connection, int count) {
        var lines = new ArrayList<String>();
        try {
            var reader = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
            for (String line; lines.size() < count && (line = reader.readLine()) != null; ) {
                lines.add(line);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return lines;
    }

    @Test
    void agentThatDoesNotAnswerIsUnavailableNamingTheNode() throws IOException {
        int closedPort;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String node = unique("node");
        registerNodeWithAgent(node, pool, "http://127.0.0.1:" + closedPort).then().statusCode(201);
        String vm = unique("vm");
        createVm(vmBody(vm, image(), 1, 512, pool, null)).then().statusCode(201).body("status.node", equalTo(node));

        given().get("/v1/vms/" + vm + "/console").then().statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/unavailable"))
                .body("detail", containsString("node " + node))
                .body("detail", containsString("cannot be reached"));
    }

    @Test
    void nodeWithoutAgentEndpointIsUnavailableNamingTheNode() {
        String node = unique("node");
        registerNodeWithAgent(node, pool, null).then().statusCode(201);
        String vm = unique("vm");
        createVm(vmBody(vm, image(), 1, 512, pool, null)).then().statusCode(201).body("status.node", equalTo(node));

        given().get("/v1/vms/" + vm + "/console").then().statusCode(503)
                .contentType("application/problem+json")
                .body("detail", equalTo("Node " + node + " has no agentEndpoint (its agent registered none), "
                        + "so its consoles cannot be reached."));
    }

    @Test
    void workloadTheAgentDoesNotKnowIsNotFoundWithTheAgentsDetail() {
        String vm = placedVm(agent.endpoint());

        given().get("/v1/vms/" + vm + "/console").then().statusCode(404)
                .contentType("application/problem+json")
                .body("type", equalTo("https://corral.dev/problems/not-found"))
                .body("detail", equalTo("The stand-in agent runs no workload /v1/workloads/" + uid(vm) + "/console."));
    }

    @Test
    void vmNotPlacedYetIsConflictSayingItsPhase() {
        registerNodeWithAgent(unique("node"), pool, agent.endpoint()).then().statusCode(201);
        String vm = unique("huge");
        createVm(vmBody(vm, image(), 1, 65536, pool, null)).then().statusCode(201).body("status.phase", equalTo("Pending"));

        given().get("/v1/vms/" + vm + "/console").then().statusCode(409)
                .contentType("application/problem+json")
                .body("detail", equalTo("VM '" + vm + "' is not placed on a node yet (its phase is Pending), so it has no console."));
        assertThat(agent.queries).isEmpty();
    }

    @Test
    void unknownVmIsNotFound() {
        String vm = unique("ghost");
        given().get("/v1/vms/" + vm + "/console").then().statusCode(404)
                .contentType("application/problem+json")
                .body("detail", equalTo("VM '" + vm + "' not found."));
    }

    @Test
    void tailLinesThatIsNotACountIsInvalidNamingTheField() {
        String vm = placedVm(agent.endpoint());
        for (String bad : List.of("-1", "ten", "1.5")) {
            given().queryParam("tailLines", bad).get("/v1/vms/" + vm + "/console").then().statusCode(400)
                    .contentType("application/problem+json")
                    .body("errors[0].field", equalTo("tailLines"));
        }
        given().queryParam("follow", "yes").get("/v1/vms/" + vm + "/console").then().statusCode(400)
                .body("errors[0].field", equalTo("follow"));
        assertThat(agent.queries).isEmpty();
    }
}
