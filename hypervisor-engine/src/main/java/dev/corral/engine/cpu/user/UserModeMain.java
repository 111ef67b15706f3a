package dev.corral.engine.cpu.user;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command line: {@code java -cp hypervisor-engine/target/classes dev.corral.engine.cpu.user.UserModeMain
 * [--sandbox DIR] [--stats] [--strace] /path/to/static-elf [args...]}. The guest gets this process's stdin, stdout,
 * stderr, environment and working directory; the exit status is the guest's.
 */
public final class UserModeMain {

    private UserModeMain() {}

    public static void main(String[] args) throws Exception {
        UserModeConfig config = UserModeConfig.defaults();
        boolean stats = false;
        int i = 0;
        for (; i < args.length && args[i].startsWith("--"); i++) {
            switch (args[i]) {
                case "--sandbox" -> config = config.withSandbox(Path.of(args[++i]));
                case "--stats" -> stats = true;
                case "--strace" -> config = config.withSyscallTrace(true);
                default -> usage("unknown option " + args[i]);
            }
        }
        if (i >= args.length) {
            usage("no executable given");
        }
        Path elf = Path.of(args[i]);
        List<String> argv = new ArrayList<>(List.of(args).subList(i, args.length));
        long start = System.nanoTime();
        UserMode.Result r;
        try {
            r = UserMode.run(config, elf, argv, System.getenv(), System.in, System.out, System.err,
                    Path.of("").toAbsolutePath());
        } catch (ElfFormatException e) {
            System.err.println("corral-user: " + elf + ": " + e.getMessage());
            System.exit(126);
            return;
        }
        System.out.flush();
        if (stats) {
            double seconds = (System.nanoTime() - start) / 1e9;
            System.err.printf("corral-user: %d instructions in %.3f s (%.1f MIPS); unknown syscalls %s%n",
                    r.instructions(), seconds, r.instructions() / seconds / 1e6, r.unknownSyscalls());
        }
        System.exit(r.exitStatus());
    }

    private static void usage(String problem) {
        System.err.println("corral-user: " + problem);
        System.err.println("usage: UserModeMain [--sandbox DIR] [--stats] [--strace] /path/to/static-elf [args...]");
        System.exit(2);
    }
}
