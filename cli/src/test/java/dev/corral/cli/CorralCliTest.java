package dev.corral.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

    @Test
    void everyVerbAnswersHelpBeforeCheckingItsArguments() {
        var verbs = new ArrayList<List<String>>();
        var root = new CommandLine(new Corral());
        Corral.VERBS.forEach(root::addSubcommand);
        collect(root, new ArrayList<>(), verbs);
        assertThat(verbs).hasSizeGreaterThan(20);
        for (var verb : verbs) {
            for (var flag : List.of("--help", "-h")) {
                out.getBuffer().setLength(0);
                err.getBuffer().setLength(0);
                var args = new ArrayList<>(verb);
                args.add(flag);
                assertThat(run(args.toArray(String[]::new))).as("corral %s", String.join(" ", args)).isEqualTo(Corral.EXIT_OK);
                assertThat(out.toString()).as("corral %s", String.join(" ", args)).contains("Usage: corral " + String.join(" ", verb));
                assertThat(err.toString()).isEmpty();
            }
        }
    }

    @Test
    void aCommandLineThatStartsWithAVerbBuildsOnlyThatVerb() {
        assertThat(Corral.verbsFor("get", "vms")).containsExactly(GetCommand.class);
        assertThat(Corral.verbsFor("config", "view")).containsExactly(ConfigCommand.class);
        assertThat(Corral.verbsFor("help", "get")).isEqualTo(Corral.VERBS);
        assertThat(Corral.verbsFor("completion")).isEqualTo(Corral.VERBS);
        assertThat(Corral.verbsFor("--help")).isEqualTo(Corral.VERBS);
        assertThat(Corral.verbsFor("no-such-verb")).isEqualTo(Corral.VERBS);
        assertThat(Corral.verbsFor()).isEqualTo(Corral.VERBS);
    }

    @Test
    void theUsageListsEveryVerbAndAnUnknownVerbIsAUsageError() {
        assertThat(run("--help")).isEqualTo(Corral.EXIT_OK);
        assertThat(out.toString()).contains("  get ", "  describe ", "  config ", "  completion ", "  help ");
        assertThat(run("no-such-verb")).isEqualTo(Corral.EXIT_USAGE);
        assertThat(err.toString()).startsWith("error: ");
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> verbs) {
        command.getSubcommands().forEach((name, sub) -> {
            if (!sub.getCommandSpec().name().equals(name)) {
                return; // an alias
            }
            var next = new ArrayList<>(path);
            next.add(name);
            verbs.add(next);
            collect(sub, next, verbs);
        });
    }
}
