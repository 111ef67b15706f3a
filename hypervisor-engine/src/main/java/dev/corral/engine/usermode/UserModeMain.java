package dev.corral.engine.usermode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Command line: {@code java -cp hypervisor-engine/target/classes dev.corral.engine.usermode.UserModeMain
 * [--sandbox DIR] [--stats] [--strace] [--alias GUEST_PATH=HOST_FILE]... /path/to/static-elf [args...]}.
 * A guest named busybox gets /bin/busybox, /usr/bin/busybox and /bin/sh aliased to itself for execve. The guest gets this process's stdin, stdout,
 * stderr, environment and working directory; the exit status is the guest's.
 */
public final class UserModeMain {

    private UserModeMain() {}

    public static void main(String[] args) throws Exception {
        UserModeConfig config = UserModeConfig.defaults();
        boolean stats = false;
        Map<String, Path> aliases = new HashMap<>();
        int i = 0;
        for (; i < args.length && args[i].startsWith("--"); i++) {
            switch (args[i]) {
                case "--sandbox" -> config = config.withSandbox(Path.of(args[++i]));
                case "--stats" -> stats = true;
                case "--strace" -> config = config.withSyscallTrace(true);
                case "--alias" -> {
                    String[] pair = args[++i].split("=", 2);
                    aliases.put(pair[0], Path.of(pair[1]));
                }
                default -> usage("unknown option " + args[i]);
            }
        }
        if (i >= args.length) {
            usage("no executable given");
        }
        Path elf = Path.of(args[i]);
        if (elf.getFileName() != null && elf.getFileName().toString().equals("busybox")) {
            // A busybox guest that execs busybox or sh by path means itself, not whatever the host has there.
            for (String path : new String[] {"/bin/busybox", "/usr/bin/busybox", "/bin/sh"}) {
                aliases.putIfAbsent(path, elf);
            }
        }
        config = config.withExecAliases(Map.copyOf(aliases));
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
            System.err.println("corral-user: " + r.cpu());
        }
        System.exit(r.exitStatus());
    }

    private static void usage(String problem) {
        System.err.println("corral-user: " + problem);
        System.err.println("usage: UserModeMain [--sandbox DIR] [--stats] [--strace] [--alias GUEST_PATH=HOST_FILE]... /path/to/static-elf [args...]");
        System.exit(2);
    }
}
