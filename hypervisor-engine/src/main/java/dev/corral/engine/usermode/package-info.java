/**
 * User mode for the software CPU: runs unmodified static x86-64 Linux executables (Debian's
 * busybox-static, programs built with {@code gcc -static}) on {@link dev.corral.engine.cpu.Cpu}.
 *
 * <ul>
 *   <li>{@link dev.corral.engine.usermode.UserAddressSpace}: the {@code CpuMemory} of one process: sparse
 *       4 KiB pages with R/W/X rights, materialized on first touch, behind three small direct-mapped TLBs;
 *       copy-on-write {@code fork()}; code-write notifications for the block cache.</li>
 *   <li>{@link dev.corral.engine.usermode.ElfLoader} and {@link dev.corral.engine.usermode.InitialStack}:
 *       static ELF64 (ET_EXEC and static-pie) and the SysV initial stack with its auxiliary vector.</li>
 *   <li>{@code Syscalls} and its {@code FileCalls}, {@code PathCalls}, {@code MemoryCalls},
 *       {@code ProcessCalls}, {@code InfoCalls}: the Linux x86-64 system calls (about 130 numbers) a shell
 *       pipeline and ordinary static programs need, with a small process
 *       model (fork/vfork/clone as fork with copy-on-write memory, execve, wait4/waitid, pipes, signals
 *       with handlers). Each guest process runs on its own Java thread. Unknown calls are ENOSYS and are
 *       counted. The host file system is visible read-only; writes only under the configured sandbox.</li>
 *   <li>{@link dev.corral.engine.usermode.UserMode}: the entry point;
 *       {@link dev.corral.engine.usermode.UserModeMain} the command line:
 *       <pre>java -cp hypervisor-engine/target/classes dev.corral.engine.usermode.UserModeMain \
 *     [--sandbox DIR] [--stats] [--strace] [--alias GUEST=HOST] \
 *     /path/to/busybox sh -c 'echo hello; seq 1 2000 | sort -rn | head -3'</pre></li>
 * </ul>
 *
 * <p>Not offered: threads (clone with CLONE_THREAD or a shared VM is ENOSYS, so pthread_create fails
 * cleanly), dynamically linked executables (execve says ELIBBAD and the diagnostics say why), terminals
 * and job control (no descriptor is a tty), a /proc of the guest beyond /proc/self/exe and /proc/self/fd
 * (the rest of /proc is the host's, read-only), shared writable file mappings.
 *
 * <p>A guest can only ever end itself: CPU exceptions become the signal Linux would send (#PF and #GP
 * SIGSEGV, #UD SIGILL, #DE SIGFPE, #SS and a page past the end of a mapped file SIGBUS), reported on the configured diagnostics sink, and the exit status is
 * the shell's (128 + signal).
 */
package dev.corral.engine.usermode;
