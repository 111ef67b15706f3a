package dev.corral.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.cli.client.CorralClient;
import dev.corral.cli.output.Printer;
import dev.corral.cli.output.Quantities;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "create", description = "Create a VM, a container, an image, a project or a token from flags (for files, use apply).",
        subcommands = {CreateCommand.Vm.class, CreateCommand.Container.class, CreateImageCommand.class, CreateProjectCommand.class,
                CreateTokenCommand.class})
final class CreateCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Say what to create: corral create vm NAME ..., corral create container NAME ..., corral create image NAME ..., "
                + "corral create project NAME or corral create token --role ROLE ...");
    }

    /** Flags both kinds share. */
    static class Common {
        @Mixin
        ClientOptions options;

        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label (repeatable).")
        Map<String, String> labels = new TreeMap<>();

        @Option(names = "--node-selector", paramLabel = "KEY=VALUE", description = "A label the node must have (repeatable).")
        Map<String, String> nodeSelector;

        @Option(names = "--anti-affinity-group", paramLabel = "GROUP", description = "Never share a node with another member of GROUP.")
        String antiAffinityGroup;

        @Option(names = "--restart-policy", paramLabel = "POLICY", description = "Always, OnFailure or Never.")
        String restartPolicy;

        @Option(names = "--dry-run", description = "Print what would be created; change nothing.")
        boolean dryRun;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "json, yaml or name instead of the one-line summary.")
        String output;

        @Spec
        CommandSpec spec;

        int send(Kinds kind, String name, ObjectNode specNode) {
            var body = CorralClient.JSON.createObjectNode();
            body.put("apiVersion", "corral/v1");
            body.put("kind", kind.kind);
            var meta = body.putObject("metadata");
            meta.put("name", name);
            if (!labels.isEmpty()) {
                meta.set("labels", CorralClient.JSON.valueToTree(labels));
            }
            if (nodeSelector != null) {
                specNode.set("nodeSelector", CorralClient.JSON.valueToTree(nodeSelector));
            }
            if (antiAffinityGroup != null) {
                specNode.put("antiAffinityGroup", antiAffinityGroup);
            }
            if (restartPolicy != null) {
                specNode.put("restartPolicy", restartPolicy);
            }
            body.set("spec", specNode);
            var out = spec.commandLine().getOut();
            var result = body;
            if (!dryRun) {
                result = (ObjectNode) options.client().send("POST", kind.path, Map.of("project", options.project()), body, Map.of()).body();
            }
            if (output != null) {
                GetCommand.print(out, kind, List.of(result), Printer.format(output), result);
            } else {
                out.println(kind.singular() + "/" + name + " created" + (dryRun ? " (dry run)" : ""));
                out.flush();
            }
            return 0;
        }
    }

    @Command(name = "vm", description = "Create a VM.",
            footer = {"", "Examples:", "  corral create vm web-1 --image ticker --instance-type c1.small",
                    "  corral create vm gpu-1 --image ubuntu --cpus 8 --memory 32Gi --device gpu=1 --label env=prod",
                    "  corral create vm db-1 --image debian --instance-type c1.medium --disk-size 20 --volume data=100 --network attached"})
    static final class Vm extends Common implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The Image to boot.")
        String image;

        @Option(names = {"-t", "--instance-type"}, paramLabel = "TYPE", description = "A named shape, e.g. c1.small.")
        String instanceType;

        @Option(names = "--cpus", paramLabel = "N", description = "vCPUs (with --memory, instead of --instance-type).")
        Integer cpus;

        @Option(names = "--memory", paramLabel = "SIZE", description = "Memory, e.g. 512Mi or 2Gi.")
        String memory;

        @Option(names = "--device", paramLabel = "CLASS[:VENDOR[:DEVICE]]=COUNT", description = "Host devices, e.g. gpu=1 or gpu:10de=2 (repeatable).")
        List<String> devices = new ArrayList<>();

        @Option(names = "--cmdline", paramLabel = "CMDLINE", description = "Kernel command line (default: the image's).")
        String cmdline;

        @Option(names = "--disk-size", paramLabel = "GIB",
                description = "The boot disk's size in GiB, 1 to 2048, at least the image disk's (default: the image disk's size).")
        Integer diskSize;

        @Option(names = "--volume", paramLabel = "NAME=GIB",
                description = "An empty data disk of GIB GiB (1 to 16384), e.g. data=100 (repeatable, at most 7; the guest sees them in this order).")
        List<String> volumes = new ArrayList<>();

        @Option(names = "--network", paramLabel = "MODE",
                description = "attached (a NIC on its node's network, with a MAC and an IP) or none (default: none).")
        String network;

        @Override
        public Integer call() {
            if (instanceType == null && (cpus == null || memory == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Give --instance-type, or both --cpus and --memory.");
            }
            var s = CorralClient.JSON.createObjectNode();
            s.put("image", image);
            if (instanceType != null) {
                s.put("instanceType", instanceType);
            }
            if (cpus != null) {
                s.put("vcpus", cpus);
            }
            if (memory != null) {
                s.put("memoryMiB", memoryMiB(spec.commandLine(), memory));
            }
            if (cmdline != null) {
                s.put("cmdline", cmdline);
            }
            if (!devices.isEmpty()) {
                var array = s.putArray("devices");
                for (String d : devices) {
                    array.add(device(spec.commandLine(), d));
                }
            }
            if (diskSize != null || !volumes.isEmpty()) {
                s.set("disks", disks(spec.commandLine(), diskSize, volumes));
            }
            if (network != null) {
                if (!network.equals("attached") && !network.equals("none")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--network " + network + ": expected attached or none");
                }
                s.put("network", network);
            }
            return send(Kinds.VM, name, s);
        }
    }

    @Command(name = "container", description = "Create a container.",
            footer = {"", "The image is an Image of the project holding a container image (corral image import FILE).", "",
                    "Examples:", "  corral create container web --image busybox --cpus 0.5 --memory 64Mi -- httpd -f -p 8080",
                    "  corral create container job --image busybox --restart-policy Never -- sh -c 'echo hi'"})
    static final class Container extends Common implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1..*", paramLabel = "COMMAND", description = "Command and arguments (after --).")
        List<String> command = new ArrayList<>();

        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The Image (a container image) to run.")
        String image;

        @Option(names = "--pids-limit", paramLabel = "N", description = "At most this many processes and threads (default 1024).")
        Integer pidsLimit;

        @Option(names = "--read-only", description = "Mount the root file system read-only (/tmp stays writable).")
        boolean readOnly;

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The working directory (default: the image's).")
        String workdir;

        @Option(names = "--network", paramLabel = "MODE",
                description = "attached (eth0 on its node's network, with an IP) or none (loopback only; the default).")
        String network;

        @Option(names = "--cpus", paramLabel = "N", description = "CPU limit in vCPUs, e.g. 0.5 (default 1).")
        Double cpus;

        @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit, e.g. 256Mi (default 256Mi).")
        String memory;

        @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "Environment variable (repeatable).")
        Map<String, String> env;

        @Override
        public Integer call() {
            var s = CorralClient.JSON.createObjectNode();
            s.put("image", image);
            if (!command.isEmpty()) {
                s.set("command", CorralClient.JSON.valueToTree(command));
            }
            if (cpus != null) {
                s.put("cpus", cpus);
            }
            if (memory != null) {
                s.put("memoryMiB", memoryMiB(spec.commandLine(), memory));
            }
            if (env != null) {
                s.set("env", CorralClient.JSON.valueToTree(env));
            }
            if (pidsLimit != null) {
                s.put("pidsLimit", pidsLimit);
            }
            if (readOnly) {
                s.put("readOnlyRootFilesystem", true);
            }
            if (workdir != null) {
                s.put("workingDir", workdir);
            }
            if (network != null) {
                if (!network.equals("attached") && !network.equals("none")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--network " + network + ": expected attached or none");
                }
                s.put("network", network);
            }
            return send(Kinds.CONTAINER, name, s);
        }
    }

    static long memoryMiB(CommandLine cli, String text) {
        try {
            return Quantities.parseMemoryMiB(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, "--memory: " + e.getMessage());
        }
    }

    private static final java.util.regex.Pattern VOLUME = java.util.regex.Pattern.compile("([^=]+)=(\\d{1,9})(?:Gi)?");

    /** {@code spec.disks} from {@code --disk-size} and {@code --volume NAME=GIB}; the server checks the limits. */
    static ObjectNode disks(CommandLine cli, Integer bootSizeGiB, List<String> volumes) {
        var disks = CorralClient.JSON.createObjectNode();
        if (bootSizeGiB != null) {
            if (bootSizeGiB < 1) {
                throw new CommandLine.ParameterException(cli, "--disk-size " + bootSizeGiB + ": expected a size in GiB of at least 1");
            }
            disks.put("bootSizeGiB", bootSizeGiB);
        }
        if (!volumes.isEmpty()) {
            var array = disks.putArray("volumes");
            for (String v : volumes) {
                var m = VOLUME.matcher(v);
                if (!m.matches()) {
                    throw new CommandLine.ParameterException(cli, "--volume " + v + ": expected NAME=GIB, e.g. data=100");
                }
                array.addObject().put("name", m.group(1)).put("sizeGiB", Integer.parseInt(m.group(2)));
            }
        }
        return disks;
    }

    /** {@code gpu=1}, {@code gpu:10de=2}, {@code gpu:10de:2330=1}. */
    static ObjectNode device(CommandLine cli, String text) {
        var m = java.util.regex.Pattern.compile("([a-z][-a-z0-9]*)(?::([0-9a-fA-F]{4}))?(?::([0-9a-fA-F]{4}))?(?:=(\\d+))?").matcher(text);
        if (!m.matches()) {
            throw new CommandLine.ParameterException(cli, "--device " + text + ": expected CLASS[:VENDOR[:DEVICE]]=COUNT, e.g. gpu=1");
        }
        var d = CorralClient.JSON.createObjectNode();
        d.put("class", m.group(1));
        if (m.group(2) != null) {
            d.put("vendor", m.group(2).toLowerCase());
        }
        if (m.group(3) != null) {
            d.put("device", m.group(3).toLowerCase());
        }
        d.put("count", m.group(4) == null ? 1 : Integer.parseInt(m.group(4)));
        return d;
    }
}
