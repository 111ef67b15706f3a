package dev.corral.cli;

import java.io.PrintWriter;

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
        subcommands = {VersionCommand.class, CommandLine.HelpCommand.class})
public final class Corral implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: try 'corral --help'.");
    }

    public static void main(String... args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command line with the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        var cli = new CommandLine(new Corral());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? EXIT_USAGE : EXIT_ERROR);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            err.println("error: " + (e instanceof CorralClientException ? e.getMessage() : describe(e)));
            return EXIT_ERROR;
        });
        return cli.execute(args);
    }

    private static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
