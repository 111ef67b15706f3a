package dev.corral.controlplane.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.corral.embedded.LocalCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent serving https with a certificate of the agents' CA for 127.0.0.1: the control plane's console clients
 * (the JDK's for consoles and exec, Vert.x' WebSocket client for attach) reach it with that CA configured, and
 * refuse it with another CA, or under a host name its certificate does not carry, saying why in one sentence.
 */
class AgentTrustTest {

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static HttpServer agent;
    private static LocalCertificates agentsCa;
    private static LocalCertificates otherCa;

    @BeforeAll
    static void startAnHttpsAgent() throws Exception {
        agentsCa = LocalCertificates.authority(dir.resolve("agents"), "agents CA");
        otherCa = LocalCertificates.authority(dir.resolve("other"), "another CA");
        var cert = agentsCa.issue("agent", "127.0.0.1");
        vertx = Vertx.vertx();
        agent = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.cert().toString()).setKeyPath(cert.key().toString())))
                // The upgrade is taken by hand: a server's webSocketHandler is skipped (the upgrade reaches the request
                // handler) once a Quarkus test application has run in the same JVM.
                .requestHandler(request -> {
                    if ("websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
                        request.toWebSocket().onSuccess(ws -> ws.writeTextMessage("attached"));
                    } else {
                        request.response().end("console");
                    }
                })
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void theAgentsCaIsTrustedForTheAgentsHostName() throws Exception {
        var http = HttpClient.newBuilder().sslContext(AgentTrust.sslContext(Optional.of(agentsCa.caCert()))).build();
        var answer = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + agent.actualPort() + "/v1/workloads/x/console")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.body()).isEqualTo("console");
        assertThat(attach(Optional.of(agentsCa.caCert()), "127.0.0.1")).isEqualTo("attached");
    }

    @Test
    void anAgentCertificateOfAnotherCaIsRefusedInOneSentence() {
        var http = HttpClient.newBuilder().sslContext(AgentTrust.sslContext(Optional.of(otherCa.caCert()))).build();
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + agent.actualPort() + "/")).build(),
                HttpResponse.BodyHandlers.discarding()))
                .isInstanceOf(IOException.class)
                .satisfies(e -> assertThat(AgentTrust.refusal(e)).hasValueSatisfying(reason -> assertThat(reason)
                        .startsWith("its TLS certificate is not trusted (corral.console.agent-ca")
                        .endsWith("unable to find valid certification path to requested target")));
        assertThatThrownBy(() -> attach(Optional.of(otherCa.caCert()), "127.0.0.1"))
                .satisfies(e -> assertThat(AgentTrust.refusal(e)).isPresent());
        // Without a configured CA: the JDK's trust store, which does not know a private CA either.
        assertThatThrownBy(() -> attach(Optional.empty(), "127.0.0.1")).satisfies(e -> assertThat(AgentTrust.refusal(e)).isPresent());
    }

    @Test
    void theRightCaUnderAnotherHostNameIsRefused() {
        var http = HttpClient.newBuilder().sslContext(AgentTrust.sslContext(Optional.of(agentsCa.caCert()))).build();
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + agent.actualPort() + "/")).build(),
                HttpResponse.BodyHandlers.discarding()))
                .satisfies(e -> assertThat(AgentTrust.refusal(e)).hasValueSatisfying(reason -> assertThat(reason).contains("localhost")));
        assertThatThrownBy(() -> attach(Optional.of(agentsCa.caCert()), "localhost")).satisfies(e -> assertThat(AgentTrust.refusal(e)).isPresent());
    }

    /** What the agent's WebSocket says first, through a client configured as ConsoleAttachProxy configures its own. */
    private static String attach(Optional<Path> ca, String host) throws Exception {
        var options = new WebSocketClientOptions().setVerifyHost(true);
        AgentTrust.vertx(ca).ifPresent(options::setTrustOptions);
        var client = vertx.createWebSocketClient(options);
        try {
            var message = new java.util.concurrent.CompletableFuture<String>();
            var socket = client.connect(new WebSocketConnectOptions().setHost(host).setPort(agent.actualPort()).setSsl(true)
                    .setURI("/v1/workloads/x/console/attach")).toCompletionStage().toCompletableFuture();
            socket.whenComplete((ws, e) -> {
                if (e != null) {
                    message.completeExceptionally(e);
                } else {
                    ws.textMessageHandler(message::complete);
                }
            });
            try {
                return message.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        } finally {
            client.close();
        }
    }
}
