package dev.corral.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import dev.corral.cli.client.CorralClient;
import dev.corral.cli.client.CorralClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code corral}: the command line client. Exit codes scripts can trust: 0 success, 1 error, 2 usage.
 * Only errors go to stderr, as one line.
 */
@Command(name = "corral",
        mixinStandardHelpOptions = true,
        versionProvider = ClientVersion.Provider.class,
        description = "Manage Corral VMs, containers and nodes.",
        footer = {"", "Examples:", "  corral get vms", "  corral create vm web-1 --image ticker --instance-type c1.small",
                "  corral apply -f vm.yaml", "  corral describe vm web-1", "  corral console vm/web-1", "  corral stop vm/web-1 --wait",
                "", "The server is --server, else $CORRAL_SERVER, else the current context of ~/.corral/config, else http://127.0.0.1:8080."})
public final class Corral implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;

    /**
     * The verbs, in the order the usage lists them. They are added when a command line runs, not named in the
     * annotation: picocli builds the model of each one it is given by reflection, the largest part of a start once the
     * classes come from the ahead-of-time cache, and a command line that starts with a verb needs only that verb's.
     */
    static final List<Class<?>> VERBS = List.of(GetCommand.class, DescribeCommand.class, CreateCommand.class, ApplyCommand.class,
            DeleteCommand.class, QuotaCommands.Set.class, LifecycleCommand.Start.class, LifecycleCommand.Stop.class, LifecycleCommand.Restart.class,
            MiscCommands.Logs.class, MiscCommands.Exec.class, ConsoleCommand.class, MiscCommands.Cordon.class, MiscCommands.Uncordon.class, WaitCommand.class,
            MiscCommands.Upload.class, ImageCommand.class, MiscCommands.ApiResources.class, UsageCommand.class, AuditCommand.class, ConfigCommand.class, LoginCommand.class, VersionCommand.class,
            MiscCommands.Completion.class, CommandLine.HelpCommand.class);

    /** Verbs that read the whole command tree: they get every verb. */
    private static final Set<String> WHOLE_TREE = Set.of("help", "completion");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where {@code -f -} reads from. */
    java.io.InputStream stdin = System.in;

    /** The root command of the command line a subcommand runs in; its stdin. */
    static java.io.InputStream stdin(CommandLine.Model.CommandSpec spec) {
        return ((Corral) spec.root().userObject()).stdin;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: try 'corral --help'.");
    }

    public static void main(String... args) {
        int code = execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        CorralClient.closeAll(); // else the exit waits 300 ms for their selector threads (bench/cli/README.md)
        System.exit(code);
    }

    /** Runs one command line with the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return execute(System.in, out, err, args);
    }

    /** Runs one command line with the given streams; returns the exit code. */
    public static int execute(java.io.InputStream in, PrintWriter out, PrintWriter err, String... args) {
        var corral = new Corral();
        corral.stdin = in;
        var cli = new CommandLine(corral);
        verbsFor(args).forEach(cli::addSubcommand);
        withHelpOptions(cli);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_ERROR);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CommandLine.ParameterException p) {
                err.println("error: " + p.getMessage());
                return EXIT_USAGE;
            }
            err.println("error: " + (e instanceof CorralClientException || e instanceof IllegalArgumentException ? e.getMessage() : describe(e)));
            return EXIT_ERROR;
        });
        return cli.execute(args);
    }

    /**
     * The verbs a command line needs: the one it starts with when that is a verb (other than {@code help} and
     * {@code completion}), else all of them, so that the usage, errors and suggestions are those of the whole tree.
     */
    static List<Class<?>> verbsFor(String... args) {
        if (args.length > 0 && !WHOLE_TREE.contains(args[0])) {
            for (var verb : VERBS) {
                var command = verb.getAnnotation(Command.class);
                if (command.name().equals(args[0]) || Arrays.asList(command.aliases()).contains(args[0])) {
                    return List.of(verb);
                }
            }
        }
        return VERBS;
    }

    /** Every verb answers {@code -h}/{@code --help} (and {@code -V}), as kubectl's do, before checking its arguments. */
    private static void withHelpOptions(CommandLine command) {
        command.getCommandSpec().mixinStandardHelpOptions(true);
        command.getSubcommands().values().forEach(Corral::withHelpOptions);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
