package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

class CorralCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Corral.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void clientVersionNeedsNoServer() {
        assertThat(run("version", "--client")).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).startsWith("Client Version: ");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void unknownOptionIsUsageErrorOnOneLine() {
        assertThat(run("version", "--no-such-flag")).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString().strip()).startsWith("error: ").doesNotContain("\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void missingCommandIsUsageError() {
        assertThat(run()).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString()).contains("Missing command");
    }

    @Test
    void unreachableServerIsOneLineErrorAndExitOne() throws IOException {
        int closedPort;
        try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        assertThat(run("version", "--server", "http://127.0.0.1:" + closedPort)).isEqualTo(Corral.EXIT_ERROR);
        assertThat(err.toString().strip())
                .isEqualTo("error: cannot reach the Corral API at http://127.0.0.1:" + closedPort + " (is the control plane running?)");
    }
}
