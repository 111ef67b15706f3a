package dev.corral.engine.usermode;

/** Ends a syscall handler early with an errno (the dispatcher returns it negated). */
final class SyscallError extends RuntimeException {
    final int errno;

    SyscallError(int errno) {
        super("errno " + errno, null, false, false);
        this.errno = errno;
    }
}
