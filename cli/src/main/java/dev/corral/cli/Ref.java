package dev.corral.cli;

import java.util.List;

import picocli.CommandLine;

/** What a command line names: {@code vm/web-1}, {@code vm web-1}, or just {@code vms}. */
record Ref(Kinds kind, String name) {

    static Ref parse(CommandLine cli, List<String> args) {
        if (args == null || args.isEmpty()) {
            throw new CommandLine.ParameterException(cli, "Name a resource type, e.g. vms, or TYPE/NAME, e.g. vm/web-1.");
        }
        String first = args.getFirst();
        String type = first;
        String name = null;
        int slash = first.indexOf('/');
        if (slash >= 0) {
            type = first.substring(0, slash);
            name = first.substring(slash + 1);
            if (args.size() > 1) {
                throw new CommandLine.ParameterException(cli, "Give either TYPE/NAME or TYPE NAME, not both.");
            }
        } else if (args.size() > 1) {
            name = args.get(1);
        }
        if (args.size() > 2) {
            throw new CommandLine.ParameterException(cli, "Too many arguments: " + String.join(" ", args));
        }
        String t = type;
        var kind = Kinds.byName(type).orElseThrow(() -> new CommandLine.ParameterException(cli,
                "Unknown resource type '" + t + "'; see 'corral api-resources'."));
        if (name != null && name.isBlank()) {
            throw new CommandLine.ParameterException(cli, "Empty name in '" + first + "'.");
        }
        return new Ref(kind, name);
    }

    /** The same, but a name is required and only the given kinds are allowed. */
    static Ref parseNamed(CommandLine cli, List<String> args, Kinds... allowed) {
        var ref = parse(cli, args);
        if (ref.name() == null) {
            throw new CommandLine.ParameterException(cli, "Name the " + ref.kind().singular() + ", e.g. "
                    + ref.kind().singular() + "/NAME.");
        }
        if (allowed.length > 0 && !List.of(allowed).contains(ref.kind())) {
            throw new CommandLine.ParameterException(cli, "'" + cli.getCommandName() + "' does not apply to "
                    + ref.kind().plural + ".");
        }
        return ref;
    }

    java.util.Map<String, String> projectQuery(ClientOptions options) {
        return kind.namespaced ? java.util.Map.of("project", options.project()) : java.util.Map.of();
    }

    String path() {
        return name == null ? kind.path : kind.path + "/" + name;
    }

    String display() {
        return kind.singular() + "/" + name;
    }
}
