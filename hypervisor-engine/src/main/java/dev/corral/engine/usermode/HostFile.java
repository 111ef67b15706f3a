package dev.corral.engine.usermode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/** A regular host file opened by the guest. */
final class HostFile extends OpenFile {

    private final Path path;
    private final FileChannel channel;
    private long position;

    HostFile(Path path, FileChannel channel, int statusFlags) {
        super(statusFlags);
        this.path = path;
        this.channel = channel;
    }

    @Override
    synchronized long read(byte[] buffer, int length) {
        long n = pread(buffer, length, position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    synchronized long write(byte[] buffer, int length) {
        try {
            if ((statusFlags & O_APPEND) != 0) {
                position = channel.size();
            }
            long n = pwrite(buffer, length, position);
            if (n > 0) {
                position += n;
            }
            return n;
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }

    @Override
    long pread(byte[] buffer, int length, long offset) {
        if (!canRead()) {
            return -Errno.EBADF;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(buffer, 0, length);
            while (b.hasRemaining()) {
                int n = channel.read(b, offset + b.position());
                if (n < 0) {
                    break;
                }
            }
            return b.position();
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }

    @Override
    long pwrite(byte[] buffer, int length, long offset) {
        if (!canWrite()) {
            return -Errno.EBADF;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(buffer, 0, length);
            while (b.hasRemaining()) {
                channel.write(b, offset + b.position());
            }
            return length;
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }

    @Override
    synchronized long seek(long offset, int whence) {
        long base;
        try {
            base = switch (whence) {
                case 0 -> 0;
                case 1 -> position;
                case 2 -> channel.size();
                default -> -1;
            };
        } catch (IOException e) {
            return -Errno.EIO;
        }
        if (base < 0 || base + offset < 0) {
            return -Errno.EINVAL;
        }
        position = base + offset;
        return position;
    }

    long truncate(long length) {
        try {
            if (length > channel.size()) {
                channel.write(ByteBuffer.allocate(1), length - 1);
            } else {
                channel.truncate(length);
            }
            return 0;
        } catch (IOException e) {
            return -Errno.EIO;
        }
    }

    /** Size of the file, for a private file mapping. */
    long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    FileStat stat() {
        try {
            return FileStat.of(path, true);
        } catch (IOException e) {
            return FileStat.stream(FileStat.S_IFREG | 0644, 0);
        }
    }

    @Override
    Path path() {
        return path;
    }

    @Override
    void closed() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Nothing the guest could do about it; the descriptor is gone either way.
        }
    }
}
