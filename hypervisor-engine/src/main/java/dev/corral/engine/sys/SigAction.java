package dev.corral.engine.sys;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * glibc's {@code struct sigaction} on x86-64, as {@link Libc#sigaction} takes it (SysAbiTest compiles
 * {@code <signal.h>} and checks the size and every offset used here):
 * <pre>struct sigaction { union { __sighandler_t sa_handler; void (*sa_sigaction)(int, siginfo_t *, void *); };
 *     __sigset_t sa_mask;   // 1024 bits
 *     int sa_flags;
 *     void (*sa_restorer)(void); };</pre>
 * glibc's wrapper fills in {@code sa_restorer} itself; callers leave it zero.
 */
public final class SigAction {

    public static final StructLayout LAYOUT = structLayout(ADDRESS.withName("sa_handler"), sequenceLayout(128, JAVA_BYTE).withName("sa_mask"),
            JAVA_INT.withName("sa_flags"), paddingLayout(4), ADDRESS.withName("sa_restorer")).withName("sigaction");

    public static final long HANDLER = LAYOUT.byteOffset(PathElement.groupElement("sa_handler"));
    public static final long MASK = LAYOUT.byteOffset(PathElement.groupElement("sa_mask"));
    public static final long FLAGS = LAYOUT.byteOffset(PathElement.groupElement("sa_flags"));
    public static final long RESTORER = LAYOUT.byteOffset(PathElement.groupElement("sa_restorer"));

    /** {@code SIG_DFL}: the handler value of a signal nobody installed a handler for. */
    public static final long SIG_DFL = 0;

    private SigAction() {
    }
}
