package dev.corral.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.output.Quantities;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** start, stop and restart: record the intent, then optionally wait for the workload to get there. */
abstract class LifecycleCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(arity = "1..2", paramLabel = "TYPE/NAME | TYPE NAME", description = "vm/NAME or container/NAME")
    List<String> args;

    @Option(names = "--wait", description = "Wait until the workload reaches the phase this asks for.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", description = "How long --wait waits (default 60s).")
    String timeout;

    @Spec
    CommandSpec spec;

    abstract String action();

    abstract String done();

    abstract String targetPhase();

    com.fasterxml.jackson.databind.JsonNode body() {
        return null;
    }

    @Override
    public Integer call() {
        var ref = Ref.parseNamed(spec.commandLine(), args, Kinds.VM, Kinds.CONTAINER);
        Duration wait;
        try {
            wait = Quantities.parseDuration(timeout);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
        var client = options.client();
        client.send("POST", ref.path() + "/" + action(), ref.projectQuery(options), body(), Map.of());
        var out = spec.commandLine().getOut();
        out.println(ref.display() + " " + done());
        out.flush();
        if (await) {
            WaitCommand.until(client, ref, ref.projectQuery(options), "phase", targetPhase(), wait);
            out.println(ref.display() + " is " + targetPhase());
            out.flush();
        }
        return 0;
    }

    @CommandLine.Command(name = "start", description = "Start a stopped VM or container.",
            footer = {"", "Examples:", "  corral start vm/web-1 --wait"})
    static final class Start extends LifecycleCommand {
        String action() { return "start"; }
        String done() { return "start requested"; }
        String targetPhase() { return "Running"; }
    }

    @CommandLine.Command(name = "stop", description = "Stop a VM or container: gracefully within the timeout, then forcibly.",
            footer = {"", "Examples:", "  corral stop vm/web-1", "  corral stop vm/web-1 --grace 10s --wait", "  corral stop vm/web-1 --force"})
    static final class Stop extends LifecycleCommand {
        @Option(names = "--grace", paramLabel = "DURATION", description = "How long the guest gets to shut down (default: its spec's).")
        String grace;

        @Option(names = "--force", description = "Power off now, without a graceful shutdown.")
        boolean force;

        String action() { return "stop"; }
        String done() { return "stop requested"; }
        String targetPhase() { return "Stopped"; }

        @Override
        com.fasterxml.jackson.databind.JsonNode body() {
            var b = CorralClient.JSON.createObjectNode();
            if (grace != null) {
                try {
                    b.put("timeoutSeconds", Quantities.parseDuration(grace).toSeconds());
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--grace: " + e.getMessage());
                }
            }
            if (force) {
                b.put("force", true);
            }
            return b;
        }
    }

    @CommandLine.Command(name = "restart", description = "Restart a VM or container.",
            footer = {"", "Examples:", "  corral restart vm/web-1"})
    static final class Restart extends LifecycleCommand {
        String action() { return "restart"; }
        String done() { return "restart requested"; }
        String targetPhase() { return "Running"; }
    }
}
