package dev.corral.engine.usermode;

import dev.corral.engine.sys.Errno;
import dev.corral.engine.sys.Libc;
import dev.corral.engine.sys.SysException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/** What stat(2) tells about a file, and its two guest layouts: {@code struct stat} and {@code struct statx}. */
record FileStat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size, long blocks,
                long atimeNanos, long mtimeNanos, long ctimeNanos) {

    static final int S_IFIFO = 0010000, S_IFCHR = 0020000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000;
    static final int STAT_SIZE = 144, STATX_SIZE = 256;

    static FileStat of(Path path, boolean followLinks) throws IOException {
        LinkOption[] options = followLinks ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
        Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,mode,nlink,uid,gid,rdev,size,lastAccessTime,lastModifiedTime,ctime", options);
        long blocks;
        try { // what the host allocated (sparse files, small files in a 4 KiB block), as du and ls -s show it
            blocks = Libc.statBlocks(path.toString(), followLinks);
        } catch (SysException e) { // it went away, or changed, between the two calls: as stat(2) would say
            throw e.errno() == Errno.ENOENT ? new NoSuchFileException(path.toString())
                    : new IOException(e.getMessage(), e);
        }
        return new FileStat((Long) a.get("dev"), (Long) a.get("ino"), (Integer) a.get("mode"), (Integer) a.get("nlink"),
                (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("rdev"), (Long) a.get("size"), blocks,
                nanos(a.get("lastAccessTime")), nanos(a.get("lastModifiedTime")), nanos(a.get("ctime")));
    }

    /** A pipe or stream the guest did not open from a path. */
    static FileStat stream(int mode, long ino) {
        long now = System.currentTimeMillis() * 1_000_000L;
        return new FileStat(0xc, ino, mode, 1, 0, 0, 0, 0, 0, now, now, now);
    }

    private static long nanos(Object time) {
        FileTime t = (FileTime) time;
        return t.to(java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    byte[] toStat() {
        ByteBuffer b = ByteBuffer.allocate(STAT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(dev).putLong(ino).putLong(nlink).putInt(mode).putInt(uid).putInt(gid).putInt(0).putLong(rdev)
                .putLong(size).putLong(4096).putLong(blocks);
        for (long t : new long[] {atimeNanos, mtimeNanos, ctimeNanos}) {
            b.putLong(Math.floorDiv(t, 1_000_000_000L)).putLong(Math.floorMod(t, 1_000_000_000L));
        }
        return b.array();
    }

    byte[] toStatx() {
        ByteBuffer b = ByteBuffer.allocate(STATX_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x7ff).putInt(4096).putLong(0).putInt((int) nlink).putInt(uid).putInt(gid).putShort((short) mode)
                .putShort((short) 0).putLong(ino).putLong(size).putLong(blocks).putLong(0);
        for (long t : new long[] {atimeNanos, ctimeNanos, ctimeNanos, mtimeNanos}) { // atime, btime, ctime, mtime
            b.putLong(Math.floorDiv(t, 1_000_000_000L)).putInt((int) Math.floorMod(t, 1_000_000_000L)).putInt(0);
        }
        b.putInt((int) (rdev >>> 8) & 0xfff).putInt((int) (rdev & 0xff)).putInt((int) (dev >>> 8) & 0xfff).putInt((int) (dev & 0xff));
        return b.array();
    }
}
