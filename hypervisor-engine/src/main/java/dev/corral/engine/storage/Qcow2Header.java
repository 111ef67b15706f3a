package dev.corral.engine.storage;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The qcow2 header (QEMU docs/interop/qcow2.txt, "Header" and "Header extensions"), parsed from an untrusted file:
 * every field is checked against the spec, against the file's length and against the limits QEMU itself keeps
 * (cluster size up to 2 MiB, L1 table up to 32 MiB, refcount table up to 8 MiB), so the tables it points at can be
 * read without trusting anything else. What Corral does not implement is refused here with a sentence that says so.
 *
 * @param version           2 or 3
 * @param clusterBits       log2 of the cluster size, 9 to 21
 * @param size              the virtual disk's size in bytes
 * @param l1Size            entries in the active L1 table (at least enough for {@code size})
 * @param refcountOrder     log2 of a refcount entry's width in bits (4 for version 2)
 * @param backingFile       the backing file's name as recorded, or null
 * @param backingFormat     the backing-format header extension, or null
 * @param compressionZstd   whether compressed clusters use zstd (refused when read) rather than zlib
 */
record Qcow2Header(int version, int clusterBits, long size, int l1Size, long l1TableOffset, long refcountTableOffset,
                   int refcountTableClusters, int snapshotCount, long incompatibleFeatures, long compatibleFeatures,
                   long autoclearFeatures, int refcountOrder, int headerLength, String backingFile, String backingFormat,
                   boolean compressionZstd) {

    static final int MAGIC = 0x514649fb;
    static final int V2_LENGTH = 72;
    static final int V3_LENGTH = 104;
    static final int REFCOUNT_TABLE_FIELD = 48;
    static final int AUTOCLEAR_FIELD = 88;
    static final long DIRTY = 1;
    static final long CORRUPT = 1 << 1;
    static final long EXTERNAL_DATA = 1 << 2;
    static final long COMPRESSION_TYPE = 1 << 3;
    static final long EXTENDED_L2 = 1 << 4;
    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int MAX_CLUSTER_BITS = 21;
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    static final int MAX_BACKING_NAME = 1023;

    long clusterSize() {
        return 1L << clusterBits;
    }

    /** L1 entries needed to map {@code size} bytes with clusters of {@code 1 << clusterBits} bytes. */
    static long l1EntriesFor(long size, int clusterBits) {
        long clusters = ceilDiv(size, 1L << clusterBits);
        return ceilDiv(clusters, 1L << (clusterBits - 3));
    }

    static long ceilDiv(long value, long divisor) {
        return value / divisor + (value % divisor == 0 ? 0 : 1);
    }

    /** Parses and checks the header in {@code cluster0} (the file's first bytes, zero-filled past its end). */
    static Qcow2Header parse(String image, ByteBuffer cluster0, long fileLength) throws StorageException {
        ByteBuffer b = cluster0.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (fileLength < V2_LENGTH || b.getInt(0) != MAGIC) {
            throw corrupt(image, "it does not start with a qcow2 header");
        }
        int version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw new StorageException(image + ": qcow2 version " + Integer.toUnsignedString(version)
                    + " is not supported (versions 2 and 3 are)");
        }
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        int clusterBits = b.getInt(20);
        if (clusterBits < 9 || clusterBits > MAX_CLUSTER_BITS) {
            throw corrupt(image, "its cluster size 2^" + Integer.toUnsignedString(clusterBits)
                    + " is outside 512 bytes to 2 MiB");
        }
        long clusterSize = 1L << clusterBits;
        long size = b.getLong(24);
        int cryptMethod = b.getInt(32);
        if (cryptMethod != 0) {
            throw new StorageException(image + ": encrypted qcow2 images are not supported");
        }
        if (size < 0 || l1EntriesFor(size, clusterBits) > MAX_L1_BYTES / 8) {
            throw corrupt(image, "its virtual size " + Long.toUnsignedString(size) + " needs an L1 table over 32 MiB");
        }
        long l1Size = Integer.toUnsignedLong(b.getInt(36));
        long l1Offset = b.getLong(40);
        if (l1Size < l1EntriesFor(size, clusterBits) || l1Size > MAX_L1_BYTES / 8) {
            throw corrupt(image, "its L1 table of " + l1Size + " entries does not fit its virtual size of " + size + " bytes");
        }
        long fileEnd = ceilDiv(fileLength, clusterSize) * clusterSize;
        if (l1Size > 0) {
            checkTable(image, "L1 table", l1Offset, l1Size * 8, clusterSize, fileEnd);
        }
        long refcountTableOffset = b.getLong(48);
        long refcountTableClusters = Integer.toUnsignedLong(b.getInt(56));
        if (refcountTableClusters == 0 || refcountTableClusters * clusterSize > Math.max(MAX_REFCOUNT_TABLE_BYTES, clusterSize)) {
            throw corrupt(image, "its refcount table of " + refcountTableClusters + " clusters is empty or over 8 MiB");
        }
        checkTable(image, "refcount table", refcountTableOffset, refcountTableClusters * clusterSize, clusterSize, fileEnd);
        int snapshots = b.getInt(60);
        if (snapshots < 0 || (snapshots > 0 && (b.getLong(64) % clusterSize != 0 || b.getLong(64) <= 0
                || b.getLong(64) >= fileEnd))) {
            throw corrupt(image, "its snapshot table is outside the file");
        }
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int headerLength = V2_LENGTH;
        boolean zstd = false;
        if (version == 3) {
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < V3_LENGTH || headerLength % 8 != 0 || headerLength > clusterSize) {
                throw corrupt(image, "its header length " + Integer.toUnsignedString(headerLength)
                        + " is not a multiple of 8 between 104 and the cluster size");
            }
            if (refcountOrder < 0 || refcountOrder > 6) {
                throw corrupt(image, "its refcount order " + Integer.toUnsignedString(refcountOrder) + " is over 6");
            }
            int compressionType = headerLength > 104 ? b.get(104) & 0xff : 0;
            zstd = checkFeatures(image, incompatible, compressionType);
        }
        String backingFormat = null;
        int at = headerLength;
        for (int count = 0; ; count++) {
            if (at + 8 > clusterSize) {
                throw corrupt(image, "its header extensions run past the first cluster");
            }
            int type = b.getInt(at);
            long length = Integer.toUnsignedLong(b.getInt(at + 4));
            if (type == EXT_END) {
                break;
            }
            if (at + 8 + length > clusterSize) {
                throw corrupt(image, "its header extension 0x" + Integer.toHexString(type) + " runs past the first cluster");
            }
            if (type == EXT_BACKING_FORMAT) {
                if (backingFormat != null || length > MAX_BACKING_NAME) {
                    throw corrupt(image, "its backing format extension is repeated or too long");
                }
                backingFormat = string(image, b, at + 8, (int) length, "backing format");
            }
            at += 8 + (int) ceilDiv(length, 8) * 8;
        }
        String backingFile = null;
        if (backingOffset != 0) {
            if (backingSize <= 0 || backingSize > MAX_BACKING_NAME || backingOffset < 0 || backingOffset > clusterSize
                    || backingOffset + backingSize > clusterSize || backingOffset + backingSize > fileLength) {
                throw corrupt(image, "its backing file name (" + Integer.toUnsignedString(backingSize) + " bytes at "
                        + backingOffset + ") is not inside the first cluster or longer than 1023 bytes");
            }
            backingFile = string(image, b, (int) backingOffset, backingSize, "backing file name");
        }
        return new Qcow2Header(version, clusterBits, size, (int) l1Size, l1Offset, refcountTableOffset,
                (int) refcountTableClusters, snapshots, incompatible, compatible, autoclear, refcountOrder, headerLength,
                backingFile, backingFormat, zstd);
    }

    /** Refuses what Corral does not implement; returns whether compressed clusters are zstd. */
    private static boolean checkFeatures(String image, long incompatible, int compressionType) throws StorageException {
        if ((incompatible & CORRUPT) != 0) {
            throw new StorageException(image + ": the image is marked corrupt; repair it with qemu-img check -r all");
        }
        if ((incompatible & EXTERNAL_DATA) != 0) {
            throw new StorageException(image + ": qcow2 images with an external data file are not supported");
        }
        if ((incompatible & EXTENDED_L2) != 0) {
            throw new StorageException(image + ": qcow2 images with extended L2 entries (subclusters) are not supported");
        }
        long unknown = incompatible & ~(DIRTY | CORRUPT | EXTERNAL_DATA | COMPRESSION_TYPE | EXTENDED_L2);
        if (unknown != 0) {
            throw new StorageException(image + ": the image uses incompatible features 0x" + Long.toHexString(unknown)
                    + " that Corral does not know");
        }
        boolean typed = (incompatible & COMPRESSION_TYPE) != 0;
        if (typed != (compressionType != 0) || compressionType > 1) {
            throw corrupt(image, "its compression type " + compressionType + " does not match its feature bits");
        }
        return compressionType == 1;
    }

    private static void checkTable(String image, String what, long offset, long bytes, long clusterSize, long fileEnd)
            throws StorageException {
        if (offset <= 0 || offset % clusterSize != 0 || offset >= fileEnd || bytes > fileEnd - offset) {
            throw corrupt(image, "its " + what + " (" + bytes + " bytes at " + offset
                    + ") is not cluster-aligned inside the file after the header");
        }
    }

    private static String string(String image, ByteBuffer b, int offset, int length, String what) throws StorageException {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(b.duplicate().position(offset).limit(offset + length)).toString();
            if (s.indexOf('\0') >= 0) {
                throw corrupt(image, "its " + what + " contains a NUL byte");
            }
            return s;
        } catch (CharacterCodingException e) {
            throw corrupt(image, "its " + what + " is not UTF-8");
        }
    }

    static StorageException corrupt(String image, String why) {
        return new StorageException(image + ": corrupt qcow2 image: " + why);
    }

    /**
     * The first cluster of a new version 3 image with refcount order 4 and no optional features: the header, a
     * backing-format extension when there is a backing file, the end of the extensions, and the backing file name.
     */
    static ByteBuffer encode(int clusterBits, long size, int l1Size, long l1Offset, long refcountTableOffset,
                             int refcountTableClusters, String backingFile, String backingFormat) {
        ByteBuffer b = ByteBuffer.allocate(1 << clusterBits);
        b.putInt(0, MAGIC).putInt(4, 3).putInt(20, clusterBits).putLong(24, size).putInt(36, l1Size)
                .putLong(40, l1Offset).putLong(48, refcountTableOffset).putInt(56, refcountTableClusters)
                .putInt(96, 4).putInt(100, V3_LENGTH);
        int at = V3_LENGTH;
        if (backingFile != null) {
            byte[] format = backingFormat.getBytes(StandardCharsets.UTF_8);
            b.putInt(at, EXT_BACKING_FORMAT).putInt(at + 4, format.length).put(at + 8, format);
            at += 8 + (int) ceilDiv(format.length, 8) * 8;
        }
        b.putInt(at, EXT_END).putInt(at + 4, 0);
        at += 8;
        if (backingFile != null) {
            byte[] name = backingFile.getBytes(StandardCharsets.UTF_8);
            b.putLong(8, at).putInt(16, name.length).put(at, name);
        }
        return b;
    }
}
