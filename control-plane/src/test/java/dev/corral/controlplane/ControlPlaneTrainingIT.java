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
 * gets the answers it expects from this API, small: when the API changes under it, this fails here instead of every
 * control plane silently starting without its cache.
 */
@QuarkusTest
class ControlPlaneTrainingIT {

    @Test
    void theTrainingRunGetsTheAnswersItExpects() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        var builder = new ProcessBuilder(java, "../deploy/lib/ControlPlaneTraining.java", "http://localhost:" + RestAssured.port, "0.05")
                .redirectErrorStream(true);
        // The admin token the tests' server wrote on start-up (ApiTokens).
        builder.environment().put("CORRAL_TOKEN", Files.readString(Path.of("target/admin-token")).strip());
        var process = builder.start();
        String output;
        try (var in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("0 unexpected answers");
    }
}
