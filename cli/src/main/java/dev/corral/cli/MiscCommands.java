package dev.corral.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The small commands: cordon, uncordon, logs, upload, api-resources, completion. */
final class MiscCommands {

    private MiscCommands() {
    }

    abstract static class NodeAction implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(arity = "1..2", paramLabel = "node/NAME | NAME")
        List<String> args;

        @Spec
        CommandSpec spec;

        abstract String action();

        @Override
        public Integer call() {
            var names = args.size() == 1 && !args.getFirst().contains("/") ? List.of("node", args.getFirst()) : args;
            var ref = Ref.parseNamed(spec.commandLine(), names, Kinds.NODE);
            options.client().send("POST", ref.path() + "/" + action(), Map.of(), null, Map.of());
            spec.commandLine().getOut().println(ref.display() + " " + action() + "ed");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "cordon", description = "Mark a node unschedulable: no new workloads are placed on it.",
            footer = {"", "Examples:", "  corral cordon node/worker-3"})
    static final class Cordon extends NodeAction {
        String action() { return "cordon"; }
    }

    @Command(name = "uncordon", description = "Let the scheduler place workloads on a node again.",
            footer = {"", "Examples:", "  corral uncordon node/worker-3"})
    static final class Uncordon extends NodeAction {
        String action() { return "uncordon"; }
    }

    @Command(name = "logs", description = "Print a VM's serial console or a container's output; with -f, keep printing as it comes.",
            footer = {"", "Examples:", "  corral logs vm/web-1", "  corral logs vm/web-1 -f --tail 20", "  corral logs container/web -f"})
    static final class Logs implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(arity = "1..2", paramLabel = "vm/NAME|container/NAME")
        List<String> args;

        @Option(names = {"-f", "--follow"}, description = "Keep printing as it comes, until the VM or container is deleted or Ctrl-C.")
        boolean follow;

        @Option(names = "--tail", paramLabel = "N", description = "Only the last N lines (then, with -f, what comes next).")
        Integer tail;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var ref = Ref.parseNamed(spec.commandLine(), args, Kinds.VM, Kinds.CONTAINER);
            if (tail != null && tail < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--tail must be 0 or more, not " + tail + ".");
            }
            var query = new LinkedHashMap<>(ref.projectQuery(options));
            if (follow) {
                query.put("follow", "true");
            }
            if (tail != null) {
                query.put("tailLines", String.valueOf(tail));
            }
            options.client().streamText(ref.path() + (ref.kind() == Kinds.CONTAINER ? "/logs" : "/console"), query,
                    spec.commandLine().getOut());
            return 0;
        }
    }

    @Command(name = "exec", description = "Run a command in a running container and print its output; exits with its exit code.",
            footer = {"", "No terminal and no input (-it is not supported yet).", "", "Examples:",
                    "  corral exec container/web -- ls -l /", "  corral exec container/web --timeout 60 -- sh -c 'du -s /var'"})
    static final class Exec implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(index = "0", paramLabel = "container/NAME")
        String target;

        @Parameters(index = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
        List<String> command;

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "Kill the command after this long (default 30, at most 600).")
        Integer timeout;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var ref = Ref.parseNamed(spec.commandLine(), List.of(target), Kinds.CONTAINER);
            if (command == null || command.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Give the command to run after --, e.g. corral exec "
                        + ref.display() + " -- ls /");
            }
            var body = dev.corral.cli.client.CorralClient.JSON.createObjectNode();
            body.set("command", dev.corral.cli.client.CorralClient.JSON.valueToTree(command));
            if (timeout != null) {
                body.put("timeoutSeconds", timeout);
            }
            var result = options.client().send("POST", ref.path() + "/exec", ref.projectQuery(options), body, Map.of()).body();
            var out = spec.commandLine().getOut();
            out.print(result.path("output").asText(""));
            out.flush();
            if (result.path("truncated").asBoolean(false)) {
                spec.commandLine().getErr().println("warning: the output was cut after its first MiB");
            }
            if (result.path("timedOut").asBoolean(false)) {
                spec.commandLine().getErr().println("error: the command ran past its timeout and was killed");
                spec.commandLine().getErr().flush();
            }
            // Its own exit code, as kubectl exec does; 255 at most.
            return Math.min(255, Math.max(0, result.path("exitCode").asInt(1)));
        }
    }

    @Command(name = "upload", description = "Upload a file (kernel, initrd, disk) to the blob store; prints its sha256 for an Image's spec.",
            footer = {"", "Examples:", "  corral upload ./bzImage"})
    static final class Upload implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "FILE")
        Path file;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var blob = options.client().upload(file).body();
            spec.commandLine().getOut().println("sha256:" + blob.path("sha256").asText() + " size:" + blob.path("size").asText());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "api-resources", description = "List the resource types the API serves.")
    static final class ApiResources implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            out.printf("%-15s%-26s%-12s%-12s%s%n", "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND");
            for (var k : Kinds.values()) {
                var shorts = k.names.stream().filter(n -> !n.equals(k.plural) && !n.equals(k.singular())).toList();
                out.printf("%-15s%-26s%-12s%-12s%s%n", k.plural, shorts.isEmpty() ? "" : String.join(",", shorts), "corral/v1",
                        k.namespaced, k.kind);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "completion", description = "Print a shell completion script (bash or zsh).",
            footer = {"", "Examples:", "  source <(corral completion bash)", "  corral completion zsh > \"${fpath[1]}/_corral\""})
    static final class Completion implements Callable<Integer> {
        @Parameters(paramLabel = "SHELL", description = "bash or zsh")
        String shell;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (!shell.equals("bash") && !shell.equals("zsh")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Completion is generated for bash and zsh, not " + shell + ".");
            }
            String script = AutoComplete.bash("corral", spec.root().commandLine());
            if (shell.equals("zsh")) {
                // picocli's script runs in zsh through bashcompinit.
                script = "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n" + script;
            }
            spec.commandLine().getOut().print(script);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
