package dev.corral.agent.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob download ends: whole, with the control plane's error, or abandoned when the body stops arriving. */
class BlobDownloadTest {

    private static final String SHA = "ab".repeat(32);

    @TempDir
    Path dir;

    private final CountDownLatch serverMayEnd = new CountDownLatch(1);
    private HttpServer server;

    @AfterEach
    void stop() {
        serverMayEnd.countDown();
        if (server != null) {
            server.stop(0);
        }
    }

    private ControlPlaneClient serving(byte[] first, int length, boolean stallAfterFirst) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/blobs/", exchange -> {
            exchange.sendResponseHeaders(200, length);
            var out = exchange.getResponseBody();
            out.write(first);
            out.flush();
            if (stallAfterFirst) {
                try {
                    serverMayEnd.await(60, TimeUnit.SECONDS); // a control plane gone silent mid-body
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        return new ControlPlaneClient(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), new ObjectMapper(),
                null, Optional.empty());
    }

    @Test
    void aWholeBodyIsWrittenToTheTarget() throws Exception {
        byte[] content = new byte[300_000];
        new java.util.Random(3).nextBytes(content);
        var client = serving(content, content.length, false);
        Path target = dir.resolve("blob");
        client.downloadBlob(SHA, target, Duration.ofSeconds(30));
        assertThat(target).hasBinaryContent(content);
    }

    @Test
    void aBodyThatStopsArrivingIsAbandonedAfterTheStallTime() throws Exception {
        var client = serving(new byte[1000], 1 << 20, true);
        assertThatThrownBy(() -> client.downloadBlob(SHA, dir.resolve("blob"), Duration.ofMillis(500)))
                .isInstanceOf(ControlPlaneClient.ControlPlaneException.class)
                .hasMessage("downloading blob " + SHA + ": nothing arrived for 0.5 s; abandoned");
        // Abandoned, not ended by the server (which holds the body for a minute).
        assertThat(serverMayEnd.getCount()).isEqualTo(1);
    }
}
