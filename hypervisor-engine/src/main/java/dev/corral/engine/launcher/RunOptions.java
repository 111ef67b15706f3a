package dev.corral.engine.launcher;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

import dev.corral.engine.vm.VmAccelerator;

/**
 * The options of {@code corral-vmm run}, parsed by hand (a handful of flags, no framework in the engine):
 * {@code --kernel K [--initrd I] [--cmdline C] [--cpus N] [--memory MiB] [--accel kvm|emulated|auto] [--debug-exit]}.
 * A bad command line is a {@link UsageException} whose message is the one line to print.
 */
record RunOptions(Path kernel, Path initrd, String cmdline, int cpus, long memoryMiB, VmAccelerator accelerator, boolean debugExit) {

    static final String USAGE = "usage: corral-vmm run --kernel FILE [--initrd FILE] [--cmdline TEXT] [--cpus N] [--memory MiB] "
            + "[--accel kvm|emulated|auto] [--debug-exit]";

    /** The command line was not understood; the message says what to fix. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** Parses {@code args} after the {@code run} word. */
    static RunOptions parse(String... args) throws UsageException {
        Deque<String> rest = new ArrayDeque<>(Arrays.asList(args));
        Path kernel = null;
        Path initrd = null;
        String cmdline = "console=ttyS0";
        int cpus = 1;
        long memory = 256;
        VmAccelerator accelerator = VmAccelerator.AUTO;
        boolean debugExit = false;
        while (!rest.isEmpty()) {
            String option = rest.removeFirst();
            String value = null;
            int eq = option.indexOf('=');
            if (option.startsWith("--") && eq > 0) {
                value = option.substring(eq + 1);
                option = option.substring(0, eq);
            }
            switch (option) {
                case "--kernel" -> kernel = Path.of(value(option, value, rest));
                case "--initrd" -> initrd = Path.of(value(option, value, rest));
                case "--cmdline" -> cmdline = value(option, value, rest);
                case "--cpus" -> cpus = number(option, value(option, value, rest), 1, 255);
                case "--memory" -> memory = number(option, value(option, value, rest), 4, 1 << 20);
                case "--accel" -> {
                    String name = value(option, value, rest);
                    accelerator = Arrays.stream(VmAccelerator.values()).filter(a -> a.wireName().equals(name)).findFirst()
                            .orElseThrow(() -> new UsageException("--accel takes kvm, emulated or auto, not '" + name + "'"));
                }
                case "--debug-exit" -> debugExit = true;
                default -> throw new UsageException("unknown option '" + option + "'; " + USAGE);
            }
        }
        if (kernel == null) {
            throw new UsageException("--kernel is required; " + USAGE);
        }
        return new RunOptions(kernel, initrd, cmdline, cpus, memory, accelerator, debugExit);
    }

    private static String value(String option, String inline, Deque<String> rest) throws UsageException {
        if (inline != null) {
            return inline;
        }
        if (rest.isEmpty() || rest.peekFirst().startsWith("--")) {
            throw new UsageException(option + " needs a value");
        }
        return rest.removeFirst();
    }

    private static int number(String option, String text, int min, int max) throws UsageException {
        try {
            int n = Integer.parseInt(text);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UsageException(option + " takes a number from " + min + " to " + max + ", not '" + text + "'");
    }
}
