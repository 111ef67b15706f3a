package dev.corral.agent.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.embedded.LocalCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's client against a control plane serving TLS with a certificate for localhost: trusted through the
 * configured CA; refused, in one sentence and without an answer, under another CA or another host name.
 */
class ControlPlaneTlsTest {

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static HttpServer controlPlane;
    private static LocalCertificates ca;
    private static LocalCertificates otherCa;

    @BeforeAll
    static void startAControlPlaneOverTls() throws Exception {
        ca = LocalCertificates.authority(dir.resolve("ca"), "control plane CA");
        otherCa = LocalCertificates.authority(dir.resolve("other"), "another CA");
        var cert = ca.issue("control-plane", "localhost");
        vertx = Vertx.vertx();
        controlPlane = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString()).setKeyPath(cert.key().toString())))
                .requestHandler(request -> request.response().putHeader("Content-Type", "application/json")
                        .end("{\"metadata\": {\"resourceVersion\": \"7\"}, \"items\": []}"))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static ControlPlaneClient client(String host, Path trusted) {
        return new ControlPlaneClient(URI.create("https://" + host + ":" + controlPlane.actualPort()), new ObjectMapper(), "corral_t",
                Optional.of(trusted));
    }

    @Test
    void theControlPlaneIsTrustedThroughTheConfiguredCa() throws Exception {
        assertThat(client("localhost", ca.caCert()).assignments("n1").resourceVersion()).isEqualTo("7");
    }

    @Test
    void aCertificateTheCaDidNotSignIsRefusedInOneSentence() {
        assertThatThrownBy(() -> client("localhost", otherCa.caCert()).assignments("n1"))
                .isInstanceOf(ControlPlaneClient.ControlPlaneException.class)
                .hasMessage("refusing the control plane at https://localhost:" + controlPlane.actualPort() + ": its TLS certificate "
                        + "does not verify against corral.agent.control-plane-ca " + otherCa.caCert()
                        + ": unable to find valid certification path to requested target")
                .satisfies(e -> assertThat(((ControlPlaneClient.ControlPlaneException) e).status()).isZero());
    }

    @Test
    void theRightCaUnderAHostNameTheCertificateLacksIsRefused() {
        assertThatThrownBy(() -> client("127.0.0.1", ca.caCert()).assignments("n1"))
                .isInstanceOf(ControlPlaneClient.ControlPlaneException.class)
                .hasMessageStartingWith("refusing the control plane at https://127.0.0.1:")
                .hasMessageEndingWith(": No subject alternative names matching IP address 127.0.0.1 found");
    }
}
