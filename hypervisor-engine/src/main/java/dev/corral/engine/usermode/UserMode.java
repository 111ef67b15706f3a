package dev.corral.engine.usermode;

import dev.corral.engine.cpu.CpuStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a static x86-64 Linux executable in user mode on the software CPU: {@code UserMode.run(elf,
 * argv, env, stdin, stdout, stderr)} returns the exit status as a shell reports it (the exit code, or
 * 128 + the signal that killed it). Child processes (fork, execve, pipes) run inside the same call.
 */
public final class UserMode {

    /** How a run ended: its exit status, the instructions all its processes retired, ENOSYS counts by number. */
    public record Result(int exitStatus, long instructions, Map<Integer, Long> unknownSyscalls, CpuStats cpu) {}

    private UserMode() {}

    public static int run(Path elf, List<String> argv, Map<String, String> env, InputStream stdin,
                          OutputStream stdout, OutputStream stderr) throws IOException, ElfFormatException, InterruptedException {
        return run(UserModeConfig.defaults(), elf, argv, env, stdin, stdout, stderr, Path.of("").toAbsolutePath()).exitStatus();
    }

    public static Result run(UserModeConfig config, Path elf, List<String> argv, Map<String, String> env,
                             InputStream stdin, OutputStream stdout, OutputStream stderr, Path cwd)
            throws IOException, ElfFormatException, InterruptedException {
        Kernel kernel = new Kernel(config);
        GuestProcess init = new GuestProcess(kernel, kernel.newPid());
        init.fds = new FdTable();
        init.fds.install(HostStream.input(stdin), 0, false);
        init.fds.install(HostStream.output(stdout), 1, false);
        init.fds.install(HostStream.output(stderr), 2, false);
        init.cwd = cwd.toAbsolutePath().normalize();
        List<String> environment = new ArrayList<>();
        env.forEach((k, v) -> environment.add(k + "=" + v));
        try {
            init.exec(elf.toRealPath(), argv, environment, elf.toString());
        } catch (IOException | ElfFormatException e) {
            init.fds.closeAll();
            throw e;
        }
        kernel.register(init);
        init.start();
        int status;
        try {
            status = init.awaitExit();
        } finally {
            kernel.killAll();
        }
        int exit = (status & 0x7f) != 0 ? 128 + (status & 0x7f) : status >> 8 & 0xff;
        return new Result(exit, kernel.retired(), kernel.unknownSyscalls(), kernel.stats());
    }
}
