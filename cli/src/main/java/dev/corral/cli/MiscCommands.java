package dev.corral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.corral.cli.client.CorralClientException;
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

    @Command(name = "logs", description = "Print a VM's serial console.",
            footer = {"", "Examples:", "  corral logs vm/web-1", "  corral logs vm/web-1 -f --tail 20"})
    static final class Logs implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(arity = "1..2", paramLabel = "vm/NAME")
        List<String> args;

        @Option(names = {"-f", "--follow"}, description = "Keep printing as the guest writes.")
        boolean follow;

        @Option(names = "--tail", paramLabel = "N", description = "Only the last N lines.")
        Integer tail;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            var ref = Ref.parseNamed(spec.commandLine(), args, Kinds.VM);
            var client = options.client();
            String uri = client.server().toString().replaceAll("/+$", "") + ref.path() + "/console?project=" + options.project()
                    + (follow ? "&follow=true" : "") + (tail == null ? "" : "&tail=" + tail);
            HttpResponse<InputStream> response;
            try {
                response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(java.net.URI.create(uri)).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
            } catch (java.net.ConnectException e) {
                throw new CorralClientException("cannot reach the Corral API at " + client.server() + " (is the control plane running?)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
            if (response.statusCode() >= 400) {
                // Let the client turn the problem into its one line.
                client.get(ref.path() + "/console", Map.of("project", options.project()));
                throw new CorralClientException("the server answered HTTP " + response.statusCode());
            }
            try (InputStream in = response.body()) {
                var out = spec.commandLine().getOut();
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.print(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                    out.flush();
                }
            }
            return 0;
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
