package dev.corral.cli;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import dev.corral.cli.output.Quantities;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "wait", description = "Wait until a resource reaches a phase, has a condition, or is deleted.",
        footer = {"", "Examples:", "  corral wait vm/web-1 --for=phase=Running --timeout 2m",
                "  corral wait vm/web-1 --for=condition=Scheduled", "  corral wait vm/web-1 --for=delete"})
final class WaitCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(arity = "1..2", paramLabel = "TYPE/NAME | TYPE NAME")
    List<String> args;

    @Option(names = "--for", required = true, paramLabel = "phase=P|condition=C|delete", description = "What to wait for.")
    String condition;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", description = "Give up after this long (default 30s).")
    String timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var ref = Ref.parseNamed(spec.commandLine(), args);
        Duration limit;
        try {
            limit = Quantities.parseDuration(timeout);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout: " + e.getMessage());
        }
        String what;
        String value;
        if (condition.equals("delete")) {
            what = "delete";
            value = null;
        } else if (condition.matches("(phase|condition)=[A-Za-z]+")) {
            what = condition.substring(0, condition.indexOf('='));
            value = condition.substring(condition.indexOf('=') + 1);
        } else {
            throw new CommandLine.ParameterException(spec.commandLine(), "--for must be phase=PHASE, condition=TYPE or delete");
        }
        until(options.client(), ref, ref.projectQuery(options), what, value, limit);
        var out = spec.commandLine().getOut();
        out.println(ref.display() + " " + (what.equals("delete") ? "deleted" : "condition met"));
        out.flush();
        return 0;
    }

    /** Polls until the state holds; a timeout is an error that says what was seen last. */
    static void until(CorralClient client, Ref ref, Map<String, String> query, String what, String value, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        String seen = "nothing yet";
        while (true) {
            var answer = client.getIfExists(ref.path(), query);
            if (answer.status() == 404) {
                if (what.equals("delete")) {
                    return;
                }
                throw new CorralClientException(ref.display() + " not found");
            }
            JsonNode status = answer.body().path("status");
            switch (what) {
                case "phase" -> {
                    seen = "phase is " + status.path("phase").asText("unknown");
                    if (value.equals(status.path("phase").asText())) {
                        return;
                    }
                }
                case "condition" -> {
                    for (JsonNode c : status.path("conditions")) {
                        if (value.equals(c.path("type").asText())) {
                            seen = value + " is " + c.path("status").asText() + " (" + c.path("message").asText() + ")";
                            if ("True".equals(c.path("status").asText())) {
                                return;
                            }
                        }
                    }
                }
                default -> seen = "it still exists";
            }
            if (System.nanoTime() > deadline) {
                throw new CorralClientException("timed out after " + limit.toSeconds() + "s waiting for " + ref.display()
                        + (value == null ? " to be deleted" : " to have " + what + " " + value) + "; " + seen);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CorralClientException("interrupted");
            }
        }
    }
}
