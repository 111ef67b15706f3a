package dev.corral.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

/**
 * The training run of the control plane's ahead-of-time cache (deploy/lib/ControlPlaneTraining.java, docs/0010) still
 * gets the answers it expects from this API, small, its VMs Running from the lifecycle events it publishes: when the
 * API or the events change under it, this fails here instead of every control plane silently starting without its cache.
 */
@QuarkusTest
class ControlPlaneTrainingIT {

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void theTrainingRunGetsTheAnswersItExpects() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        // The tests' class path has the Kafka client the training publishes lifecycle events with, as aot.sh's has.
        var builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "../deploy/lib/ControlPlaneTraining.java",
                "http://localhost:" + RestAssured.port, "0.05").redirectErrorStream(true);
        // The admin token the tests' server wrote on start-up (ApiTokens), and its broker.
        builder.environment().put("CORRAL_TOKEN", Files.readString(Path.of("target/admin-token")).strip());
        builder.environment().put("CORRAL_TRAINING_KAFKA", bootstrapServers);
        var process = builder.start();
        String output;
        try (var in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("0 unexpected answers").containsPattern("VM creates, [1-9][0-9]* lifecycle events");
    }
}
