package dev.corral.engine.sys;

import java.util.Map;

/** Symbolic names of the errno values the engine meets (Linux, asm-generic/errno-base.h and errno.h). */
public final class Errno {

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(1, "EPERM"), Map.entry(2, "ENOENT"), Map.entry(4, "EINTR"), Map.entry(5, "EIO"),
            Map.entry(6, "ENXIO"), Map.entry(7, "E2BIG"), Map.entry(9, "EBADF"), Map.entry(11, "EAGAIN"),
            Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(14, "EFAULT"), Map.entry(16, "EBUSY"),
            Map.entry(17, "EEXIST"), Map.entry(19, "ENODEV"), Map.entry(22, "EINVAL"), Map.entry(24, "EMFILE"),
            Map.entry(25, "ENOTTY"), Map.entry(28, "ENOSPC"), Map.entry(38, "ENOSYS"), Map.entry(77, "EBADFD"), Map.entry(95, "EOPNOTSUPP"),
            Map.entry(100, "ENETDOWN"), Map.entry(105, "ENOBUFS"));

    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EINVAL = 22;

    private Errno() {
    }

    /** {@code ENOENT}, or {@code errno 123} for values without a name here. */
    public static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }
}
