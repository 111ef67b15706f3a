package dev.corral.engine.usermode;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The caller's stdin, stdout or stderr, as the guest's descriptors 0, 1 and 2 see them (as pipes). */
final class HostStream extends OpenFile {

    private final InputStream in;
    private final OutputStream out;

    private HostStream(InputStream in, OutputStream out, int flags) {
        super(flags);
        this.in = in;
        this.out = out;
    }

    static HostStream input(InputStream in) {
        return new HostStream(in, null, O_RDONLY);
    }

    static HostStream output(OutputStream out) {
        return new HostStream(null, out, O_WRONLY);
    }

    @Override
    long read(byte[] buffer, int length) {
        if (in == null) {
            return -Errno.EBADF;
        }
        try {
            int n = in.read(buffer, 0, length);
            return Math.max(n, 0);
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }

    @Override
    long write(byte[] buffer, int length) {
        if (out == null) {
            return -Errno.EBADF;
        }
        try {
            synchronized (out) {
                out.write(buffer, 0, length);
                out.flush();
            }
            return length;
        } catch (IOException e) {
            return -Errno.EPIPE;
        }
    }

    @Override
    FileStat stat() {
        return FileStat.stream(FileStat.S_IFIFO | 0600, System.identityHashCode(this));
    }
}
