package dev.corral.engine.usermode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A host directory opened by the guest: getdents64 walks a listing taken at open. */
final class HostDirectory extends OpenFile {

    private static final int DT_DIR = 4, DT_REG = 8, DT_LNK = 10, DT_UNKNOWN = 0;
    private final Path path;
    private final List<Path> entries = new ArrayList<>();
    private int cursor;

    HostDirectory(Path path, int statusFlags) throws IOException {
        super(statusFlags);
        this.path = path;
        entries.add(path.resolve("."));
        entries.add(path.resolve(".."));
        try (Stream<Path> list = Files.list(path)) {
            list.forEach(entries::add); // the host's readdir order, as Linux gives it

        }
    }

    @Override
    long read(byte[] buffer, int length) {
        return -Errno.EISDIR;
    }

    /** Fills {@code buffer} with {@code struct linux_dirent64} records; 0 at the end. */
    synchronized long getdents64(byte[] buffer, int length) {
        ByteBuffer out = ByteBuffer.wrap(buffer, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        while (cursor < entries.size()) {
            Path entry = entries.get(cursor);
            byte[] name = entry.getFileName().toString().getBytes(StandardCharsets.UTF_8);
            int reclen = (19 + name.length + 1 + 7) & ~7;
            if (out.remaining() < reclen) {
                return out.position() == 0 ? -Errno.EINVAL : out.position();
            }
            long ino;
            int type;
            try {
                FileStat s = FileStat.of(entry, false);
                ino = s.ino();
                type = switch (s.mode() & 0170000) {
                    case FileStat.S_IFDIR -> DT_DIR;
                    case FileStat.S_IFREG -> DT_REG;
                    case FileStat.S_IFLNK -> DT_LNK;
                    default -> DT_UNKNOWN;
                };
            } catch (IOException e) {
                ino = cursor + 1;
                type = DT_UNKNOWN;
            }
            int start = out.position();
            out.putLong(ino).putLong(cursor + 1).putShort((short) reclen).put((byte) type).put(name);
            while (out.position() < start + reclen) {
                out.put((byte) 0);
            }
            cursor++;
        }
        return out.position();
    }

    @Override
    synchronized long seek(long offset, int whence) {
        if (whence != 0 || offset < 0) {
            return -Errno.EINVAL;
        }
        cursor = (int) Math.min(offset, entries.size());
        return cursor;
    }

    @Override
    FileStat stat() {
        try {
            return FileStat.of(path, true);
        } catch (IOException e) {
            return FileStat.stream(FileStat.S_IFDIR | 0755, 0);
        }
    }

    @Override
    Path path() {
        return path;
    }
}
