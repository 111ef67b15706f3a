package dev.corral.engine.usermode;

import java.util.Arrays;

/** A process's file descriptors: slots pointing at shared {@link OpenFile}s, with a close-on-exec bit each. */
final class FdTable {

    static final int MAX_FDS = 1024;
    private OpenFile[] files = new OpenFile[64];
    private boolean[] cloexec = new boolean[64];

    synchronized OpenFile get(int fd) {
        return fd >= 0 && fd < files.length ? files[fd] : null;
    }

    /** Installs {@code file} (already retained for this slot) at the lowest free descriptor >= {@code min}. */
    synchronized int install(OpenFile file, int min, boolean closeOnExec) {
        for (int fd = Math.max(min, 0); fd < MAX_FDS; fd++) {
            if (fd >= files.length) {
                grow(fd + 1);
            }
            if (files[fd] == null) {
                files[fd] = file;
                cloexec[fd] = closeOnExec;
                return fd;
            }
        }
        file.release();
        return -Errno.EMFILE;
    }

    /** dup2 semantics: closes what {@code fd} held; retains {@code file}. */
    synchronized void installAt(int fd, OpenFile file, boolean closeOnExec) {
        grow(fd + 1);
        file.retain();
        OpenFile old = files[fd];
        files[fd] = file;
        cloexec[fd] = closeOnExec;
        if (old != null) {
            old.release();
        }
    }

    synchronized boolean close(int fd) {
        OpenFile f = get(fd);
        if (f == null) {
            return false;
        }
        files[fd] = null;
        f.release();
        return true;
    }

    synchronized boolean closeOnExec(int fd) {
        return cloexec[fd];
    }

    synchronized void setCloseOnExec(int fd, boolean value) {
        cloexec[fd] = value;
    }

    /** The child's table after fork: same descriptions, each retained once more. */
    synchronized FdTable copy() {
        FdTable c = new FdTable();
        c.files = files.clone();
        c.cloexec = cloexec.clone();
        for (OpenFile f : c.files) {
            if (f != null) {
                f.retain();
            }
        }
        return c;
    }

    synchronized void closeOnExec() {
        for (int fd = 0; fd < files.length; fd++) {
            if (files[fd] != null && cloexec[fd]) {
                close(fd);
            }
        }
    }

    synchronized void closeAll() {
        for (int fd = 0; fd < files.length; fd++) {
            if (files[fd] != null) {
                close(fd);
            }
        }
    }

    private void grow(int size) {
        if (size > files.length) {
            int n = Math.max(size, files.length * 2);
            files = Arrays.copyOf(files, n);
            cloexec = Arrays.copyOf(cloexec, n);
        }
    }
}
