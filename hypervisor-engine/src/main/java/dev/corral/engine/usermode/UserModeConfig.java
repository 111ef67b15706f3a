package dev.corral.engine.usermode;

import dev.corral.engine.cpu.Cpu;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How a user-mode run sees the host.
 *
 * @param sandbox the only directory the guest may create, write, rename or delete files under; null: none
 * @param execAliases guest paths that execve maps to host files (e.g. {@code /bin/busybox} to the busybox
 *                    under test); {@code /proc/self/exe} always maps to the calling process's image
 * @param diagnostics where the shim reports guest faults and other events the guest cannot see
 * @param sliceInstructions instructions per {@code Cpu.run} call between checks for signals
 * @param traceSyscalls report every syscall with its arguments and result on {@code diagnostics} (like strace)
 * @param memoryLimit bytes of guest pages all processes together may touch; 0: three quarters of the heap
 * @param translation which tiers of the software CPU run the guest (null: the {@code corral.cpu.translate} default)
 */
public record UserModeConfig(Path sandbox, Map<String, Path> execAliases, Consumer<String> diagnostics, long sliceInstructions,
                             boolean traceSyscalls, long memoryLimit, Cpu.Translation translation) {

    public static UserModeConfig defaults() {
        return new UserModeConfig(null, Map.of(), System.err::println, 1 << 16, false, 0, null);
    }

    public UserModeConfig withSyscallTrace(boolean on) {
        return new UserModeConfig(sandbox, execAliases, diagnostics, sliceInstructions, on, memoryLimit, translation);
    }

    public UserModeConfig withMemoryLimit(long bytes) {
        return new UserModeConfig(sandbox, execAliases, diagnostics, sliceInstructions, traceSyscalls, bytes, translation);
    }

    public UserModeConfig withSandbox(Path directory) {
        return new UserModeConfig(directory, execAliases, diagnostics, sliceInstructions, traceSyscalls, memoryLimit, translation);
    }

    public UserModeConfig withExecAliases(Map<String, Path> aliases) {
        return new UserModeConfig(sandbox, aliases, diagnostics, sliceInstructions, traceSyscalls, memoryLimit, translation);
    }

    public UserModeConfig withTranslation(Cpu.Translation mode) {
        return new UserModeConfig(sandbox, execAliases, diagnostics, sliceInstructions, traceSyscalls, memoryLimit, mode);
    }

    public UserModeConfig withDiagnostics(Consumer<String> sink) {
        return new UserModeConfig(sandbox, execAliases, sink, sliceInstructions, traceSyscalls, memoryLimit, translation);
    }
}
