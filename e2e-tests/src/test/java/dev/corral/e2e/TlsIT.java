package dev.corral.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import javax.net.ssl.SSLHandshakeException;

import dev.corral.cli.Corral;
import dev.corral.embedded.LocalCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane, a node agent and the CLI all over TLS with certificates of a CA made for the test: the API
 * serves HTTPS only; the agent verifies the control plane's certificate against its CA file and serves its own
 * endpoints over HTTPS, which the control plane verifies against the agents' CA; the CLI keeps the CA in its context.
 * An agent given another CA, and a CLI without the CA or with the wrong host name, refuse in one line.
 */
class TlsIT {

    record Result(int exit, String out, String err) {
    }

    @TempDir
    Path dir;

    @Test
    void controlPlaneAgentAndCliTalkOnlyVerifiedTls() throws Exception {
        var ca = LocalCertificates.authority(dir.resolve("pki"), "Corral test CA");
        // The API's certificate names localhost only: https://127.0.0.1 is the wrong host name for it.
        var apiCert = ca.issue("control-plane", "localhost");
        var agentCert = ca.issue("agent", "127.0.0.1");
        var otherCa = LocalCertificates.authority(dir.resolve("other-pki"), "Someone else's CA");
        String previousConfig = System.getProperty("corral.config");
        System.setProperty("corral.config", dir.resolve("corral-config").toString());
        try (var cp = ControlPlaneProcess.startTls(apiCert, ca.caCert(), Map.of("CORRAL_TLS_AGENT_CA", ca.caCert().toString()))) {
            // The API over HTTPS, verified against the CA; another CA's trust is refused; plain HTTP is not served.
            var version = cp.http.send(HttpRequest.newBuilder(cp.server.resolve("/v1/version")).header("Authorization", "Bearer " + cp.adminToken)
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(version.statusCode()).isEqualTo(200);
            var stranger = HttpClient.newBuilder().sslContext(ControlPlaneProcess.trusting(otherCa.caCert())).build();
            assertThatThrownBy(() -> stranger.send(HttpRequest.newBuilder(cp.server.resolve("/v1/version")).build(),
                    HttpResponse.BodyHandlers.discarding())).isInstanceOf(SSLHandshakeException.class);
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + cp.plainPort + "/q/health")).build(), HttpResponse.BodyHandlers.discarding()))
                    .isInstanceOf(ConnectException.class);

            int agentTlsPort = ControlPlaneProcess.freePort();
            String kafka = cp.kafkaBootstrapServers();
            try (var agent = AgentProcess.start(cp, "tls-node", Files.createDirectories(dir.resolve("tls-node")), Map.of("CORRAL_AGENT_CONTROL_PLANE_CA", ca.caCert().toString(),
                    "CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", kafka,
                    "CORRAL_AGENT_TLS_CERT", agentCert.cert().toString(), "CORRAL_AGENT_TLS_KEY", agentCert.key().toString(),
                    "CORRAL_AGENT_HTTPS_PORT", String.valueOf(agentTlsPort)));
                    var rogue = AgentProcess.start(cp, "rogue-node", Files.createDirectories(dir.resolve("rogue-node")), Map.of("CORRAL_AGENT_CONTROL_PLANE_CA", otherCa.caCert().toString(),
                            "CORRAL_AGENT_KAFKA_BOOTSTRAP_SERVERS", kafka))) {
                // The CLI: login stores the CA's content in the context; later commands verify the server with it.
                Path caCopy = Files.copy(ca.caCert(), dir.resolve("ca-for-login.pem"));
                var login = corral("login", "--server", cp.server.toString(), "--token", cp.adminToken, "--certificate-authority", caCopy.toString());
                assertThat(login.exit()).as(login.err()).isZero();
                Files.delete(caCopy); // the context holds the CA itself, not a path to it
                assertThat(Files.readString(dir.resolve("corral-config"))).contains("certificateAuthorityData: ");

                String node = awaitNode("tls-node", "\"Ready\"");
                assertThat(node).contains("\"agentEndpoint\" : \"https://127.0.0.1:" + agentTlsPort + "\"");
                // With its certificate configured, the agent's plain HTTP port is off too.
                assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + agent.httpPort + "/q/health")).build(), HttpResponse.BodyHandlers.discarding()))
                        .isInstanceOf(ConnectException.class);

                // The control plane reaches the agent over https, verifying its certificate: a console is answered by
                // the agent (200, or its 404), not refused as unreachable (503).
                Path kernel = dir.resolve("bzImage");
                Files.writeString(kernel, "not really a kernel");
                var upload = corral("upload", kernel.toString());
                assertThat(upload.exit()).as(upload.err()).isZero();
                String sha = upload.out().strip().split(" ")[0].substring("sha256:".length());
                Path image = dir.resolve("image.yaml");
                Files.writeString(image, "apiVersion: corral/v1\nkind: Image\nmetadata: {name: tls-image}\nspec: {kernel: {sha256: " + sha + "}}\n");
                assertThat(corral("apply", "-f", image.toString()).exit()).isZero();
                var created = corral("create", "vm", "tls-vm", "--image", "tls-image", "--cpus", "1", "--memory", "64Mi");
                assertThat(created.exit()).as(created.err()).isZero();
                var scheduled = corral("wait", "vm/tls-vm", "--for=condition=Scheduled", "--timeout", "60s");
                assertThat(scheduled.exit()).as(scheduled.err()).isZero();
                var console = cp.http.send(HttpRequest.newBuilder(cp.server.resolve("/v1/vms/tls-vm/console"))
                        .header("Authorization", "Bearer " + cp.adminToken).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(console.statusCode()).as(console.body()).isIn(200, 404);

                // An agent whose CA did not sign the control plane's certificate never registers, and says why once.
                String refusal = "refusing the control plane at " + cp.server + ": its TLS certificate does not verify against "
                        + "corral.agent.control-plane-ca " + otherCa.caCert();
                String rogueLog = awaitLog(rogue.log, refusal);
                assertThat(rogueLog.lines().filter(l -> l.contains(refusal)).count()).isEqualTo(1);
                // No stack trace of the refused handshake, and no fallback that registered anyway.
                assertThat(rogueLog.lines().filter(l -> l.contains("certification path")).count()).isEqualTo(1);
                assertThat(rogueLog).doesNotContain("SSLHandshakeException").doesNotContain("Registered node rogue-node");
                assertThat(corral("get", "node", "rogue-node").exit()).isEqualTo(1);

                // Without a stored CA (no context) the JDK's trust store does not know the CA: one line, exit 1. The
                // right CA for the wrong host name: refused too.
                System.setProperty("corral.config", dir.resolve("no-config").toString());
                var untrusted = corral("get", "nodes", "--server", cp.server.toString(), "--token", cp.adminToken);
                assertThat(untrusted.exit()).isEqualTo(1);
                assertThat(untrusted.err()).startsWith("error: the server at " + cp.server + " is not trusted: ")
                        .contains("JDK's trust store").hasLineCount(1);
                Files.copy(ca.caCert(), caCopy);
                var wrongHost = corral("get", "nodes", "--server", "https://127.0.0.1:" + cp.server.getPort(), "--token", cp.adminToken,
                        "--certificate-authority", caCopy.toString());
                assertThat(wrongHost.exit()).isEqualTo(1);
                assertThat(wrongHost.err()).contains("is not trusted: No subject alternative names matching IP address 127.0.0.1")
                        .hasLineCount(1);
            }
        } finally {
            if (previousConfig == null) {
                System.clearProperty("corral.config");
            } else {
                System.setProperty("corral.config", previousConfig);
            }
        }
    }

    /** The node as JSON once its JSON contains {@code expected}. */
    private static String awaitNode(String name, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            var r = corral("get", "node", name, "-o", "json");
            last = r.exit() == 0 ? r.out() : r.err();
            if (r.exit() == 0 && r.out().contains(expected)) {
                return r.out();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("node " + name + " never showed " + expected + "; last: " + last);
    }

    private static String awaitLog(Path log, String expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.readString(log);
            if (text.contains(expected)) {
                Thread.sleep(3000); // a few more heartbeats (every second): the line must not repeat
                return Files.readString(log);
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the agent never logged '" + expected + "':\n" + Files.readString(log));
    }

    private static Result corral(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exit = Corral.execute(new ByteArrayInputStream(new byte[0]), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }
}
