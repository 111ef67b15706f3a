package dev.corral.engine.usermode;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A pipe: a bounded byte ring (64 KiB, as Linux's default) between a read end and a write end.
 * Reads block while it is empty and a writer remains, then return 0 (end of file). Writes block while
 * it is full; with no reader left they fail with EPIPE (the caller raises SIGPIPE). Blocking waits are
 * interruptible: a process being killed returns EINTR.
 */
final class Pipe {

    static final int CAPACITY = 64 * 1024;
    static final int PIPE_BUF = 4096;

    private final byte[] ring = new byte[CAPACITY];
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final long inode = System.identityHashCode(this);
    private int head;
    private int count;
    private int readers = 1;
    private int writers = 1;

    final OpenFile readEnd = new End(OpenFile.O_RDONLY, true);
    final OpenFile writeEnd = new End(OpenFile.O_WRONLY, false);

    long read(byte[] buffer, int length) {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            return -Errno.EINTR;
        }
        try {
            while (count == 0 && writers > 0) {
                if ((readEnd.statusFlags & OpenFile.O_NONBLOCK) != 0) {
                    return -Errno.EAGAIN;
                }
                notEmpty.await();
            }
            int n = Math.min(length, count);
            for (int i = 0; i < n; i++) {
                buffer[i] = ring[(head + i) % CAPACITY];
            }
            head = (head + n) % CAPACITY;
            count -= n;
            notFull.signalAll();
            return n;
        } catch (InterruptedException e) {
            return -Errno.EINTR;
        } finally {
            lock.unlock();
        }
    }

    long write(byte[] buffer, int length) {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            return -Errno.EINTR;
        }
        int written = 0;
        try {
            while (written < length) {
                if (readers == 0) {
                    return written > 0 ? written : -Errno.EPIPE;
                }
                // Up to PIPE_BUF bytes go in at once or not at all, so concurrent writers do not interleave.
                if (count == CAPACITY || length <= PIPE_BUF && CAPACITY - count < length) {
                    if ((writeEnd.statusFlags & OpenFile.O_NONBLOCK) != 0) {
                        return written > 0 ? written : -Errno.EAGAIN;
                    }
                    notFull.await();
                    continue;
                }
                int n = Math.min(length - written, CAPACITY - count);
                for (int i = 0; i < n; i++) {
                    ring[(head + count + i) % CAPACITY] = buffer[written + i];
                }
                count += n;
                written += n;
                notEmpty.signalAll();
            }
            return written;
        } catch (InterruptedException e) {
            return written > 0 ? written : -Errno.EINTR;
        } finally {
            lock.unlock();
        }
    }

    private int poll(boolean reader) {
        lock.lock();
        try {
            if (reader) {
                return (count > 0 ? OpenFile.POLLIN : 0) | (writers == 0 ? OpenFile.POLLHUP : 0);
            }
            return readers == 0 ? OpenFile.POLLERR : count < CAPACITY ? OpenFile.POLLOUT : 0;
        } finally {
            lock.unlock();
        }
    }

    private void endClosed(boolean reader) {
        lock.lock();
        try {
            if (reader) {
                readers--;
            } else {
                writers--;
            }
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private final class End extends OpenFile {
        private final boolean reader;

        End(int flags, boolean reader) {
            super(flags);
            this.reader = reader;
        }

        @Override
        long read(byte[] buffer, int length) {
            return reader ? Pipe.this.read(buffer, length) : -Errno.EBADF;
        }

        @Override
        long write(byte[] buffer, int length) {
            return reader ? -Errno.EBADF : Pipe.this.write(buffer, length);
        }

        @Override
        int poll() {
            return Pipe.this.poll(reader);
        }

        @Override
        FileStat stat() {
            return FileStat.stream(FileStat.S_IFIFO | 0600, inode);
        }

        @Override
        void closed() {
            endClosed(reader);
        }
    }
}
