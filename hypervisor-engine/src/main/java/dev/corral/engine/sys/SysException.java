package dev.corral.engine.sys;

/**
 * A system call failed. The message names the call and the error, e.g.
 * {@code open(/dev/kvm) failed: ENOENT (2)}; {@link #errno()} is the number for callers that branch on it.
 */
public class SysException extends RuntimeException {

    private final String call;
    private final int errno;

    public SysException(String call, int errno) {
        super(call + " failed: " + Errno.name(errno) + " (" + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
