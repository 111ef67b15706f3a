package dev.corral.engine.storage;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;

/**
 * A qcow2 image's host cluster reference counts (qcow2.txt, "Host cluster management"): the refcount table, its
 * refcount blocks (read on demand, a bounded cache of clean copies: every change is written through at once), and
 * cluster allocation, first fit from a moving hint, growing the structures when the file outgrows them.
 *
 * <p>Crash ordering, kept by the callers too: an increment is written before anything that references the cluster,
 * and the image writes no reference until after a later fdatasync. A new refcount block is written and synced
 * before the table entry that points at it; a grown refcount table and its blocks are written and synced before
 * the header points at them, and the header is synced before the old table's clusters are freed. So at any moment
 * every cluster that something on disk references has a refcount on disk of at least one; the worst a crash leaves
 * is a cluster counted but unreferenced, which qemu-img check reports as a leak.
 */
final class Qcow2Refcounts {

    /** Cached refcount blocks: 8 MiB worth (128 blocks of 64 KiB, covering 256 GiB of image file). */
    private static final int CACHE_BYTES = 8 << 20;

    private final ImageFile file;
    private final String image;
    private final ClusterSet metadata;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    /** log2 of the entries per refcount block. */
    private final int blockBits;
    private final LinkedHashMap<Long, ByteBuffer> blocks = new LinkedHashMap<>(16, 0.75f, true);
    private long[] table;
    private long tableOffset;
    private int tableClusters;
    private long hint;

    Qcow2Refcounts(ImageFile file, Qcow2Header header, ClusterSet metadata) throws StorageException {
        this.file = file;
        this.image = file.name();
        this.metadata = metadata;
        this.clusterBits = header.clusterBits();
        this.clusterSize = 1 << clusterBits;
        this.order = header.refcountOrder();
        this.blockBits = clusterBits + 3 - order;
        this.tableOffset = header.refcountTableOffset();
        this.tableClusters = header.refcountTableClusters();
        this.table = readTable(file, header);
    }

    /** Reads and checks the refcount table: each block cluster-aligned inside the file. */
    static long[] readTable(ImageFile file, Qcow2Header header) throws StorageException {
        int clusterSize = 1 << header.clusterBits();
        ByteBuffer bytes = ByteBuffer.allocate(header.refcountTableClusters() * clusterSize);
        file.read(header.refcountTableOffset(), bytes);
        long[] table = new long[bytes.capacity() / 8];
        long fileEnd = Qcow2Header.ceilDiv(file.length(), clusterSize) * clusterSize;
        for (int i = 0; i < table.length; i++) {
            long entry = bytes.getLong(i * 8);
            if (entry != 0 && (entry % clusterSize != 0 || entry < 0 || entry >= fileEnd)) {
                throw Qcow2Header.corrupt(file.name(), "its refcount table entry " + i + " (0x"
                        + Long.toHexString(entry) + ") is not a cluster inside the file");
            }
            table[i] = entry;
        }
        return table;
    }

    /** The clusters of the refcount table and of its blocks. */
    long[] metadataClusters() {
        long[] clusters = new long[tableClusters + table.length];
        int n = 0;
        for (int i = 0; i < tableClusters; i++) {
            clusters[n++] = (tableOffset >>> clusterBits) + i;
        }
        for (long entry : table) {
            if (entry != 0) {
                clusters[n++] = entry >>> clusterBits;
            }
        }
        return java.util.Arrays.copyOf(clusters, n);
    }

    /** The refcount of {@code cluster}: zero where no block covers it. */
    long get(long cluster) throws StorageException {
        long index = cluster >>> blockBits;
        if (cluster < 0 || index >= table.length || table[(int) index] == 0) {
            return 0;
        }
        return entry(block(index), cluster & ((1L << blockBits) - 1));
    }

    /** Sets the refcount of a covered cluster and writes the entry through. */
    void set(long cluster, long value) throws StorageException {
        long index = cluster >>> blockBits;
        if (index >= table.length || table[(int) index] == 0) {
            throw new IllegalStateException("no refcount block covers cluster " + cluster);
        }
        ByteBuffer block = block(index);
        long entry = cluster & ((1L << blockBits) - 1);
        putEntry(block, entry, value);
        int width = Math.max(1, (1 << order) / 8);
        int at = (int) ((entry << order) >>> 3);
        file.write(table[(int) index] + at, block.duplicate().position(at).limit(at + width).slice());
    }

    /** Lowers the refcount of {@code cluster} by one; returns the new count. */
    long decrement(long cluster) throws StorageException {
        long count = get(cluster);
        if (count == 0) {
            throw Qcow2Header.corrupt(image, "cluster " + cluster + " is freed more often than it is referenced");
        }
        set(cluster, count - 1);
        if (count == 1) {
            hint = Math.min(hint, cluster);
        }
        return count - 1;
    }

    /** Finds a free cluster, counts it as used (written through) and returns its index. */
    long allocate() throws StorageException {
        for (;;) {
            long cluster = hint;
            long index = cluster >>> blockBits;
            if (index >= table.length) {
                growTable(cluster);
                continue;
            }
            if (table[(int) index] == 0) {
                createBlock(index, cluster);
                continue;
            }
            ByteBuffer block = block(index);
            long first = index << blockBits;
            for (long i = cluster - first; i < 1L << blockBits; i++) {
                if (entry(block, i) == 0) {
                    set(first + i, 1);
                    hint = first + i + 1;
                    return first + i;
                }
            }
            hint = first + (1L << blockBits);
        }
    }

    /** A new refcount block for range {@code index}, stored in that range's free cluster {@code at}, counting itself. */
    private void createBlock(long index, long at) throws StorageException {
        ByteBuffer block = ByteBuffer.allocate(clusterSize);
        putEntry(block, at & ((1L << blockBits) - 1), 1);
        file.write(at << clusterBits, block.duplicate());
        file.dataSync();
        file.write(tableOffset + index * 8, ByteBuffer.allocate(8).putLong(0, at << clusterBits));
        table[(int) index] = at << clusterBits;
        metadata.add(at);
        cache(index, block);
    }

    /**
     * The file has outgrown the refcount table: write a larger table and the blocks it needs from cluster
     * {@code start} on (everything there is past the old table's reach, so free), each block counting the new
     * clusters in its range, sync, switch the header to it, sync, then free the old table.
     */
    private void growTable(long start) throws StorageException {
        long perBlock = 1L << blockBits;
        long clusters = Math.max(tableClusters * 2L, 1);
        long blocksNeeded = 0;
        for (;;) {
            long end = start + blocksNeeded + clusters;
            long ranges = ((end - 1) >>> blockBits) - (start >>> blockBits) + 1;
            if ((clusters << clusterBits) / 8 <= (end - 1) >>> blockBits) {
                clusters++;
            } else if (ranges != blocksNeeded) {
                blocksNeeded = ranges;
            } else {
                break;
            }
            if (clusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) {
                throw new StorageException(image + ": the image file is too large for a refcount table of 8 MiB");
            }
        }
        long end = start + blocksNeeded + clusters;
        long newTableOffset = (start + blocksNeeded) << clusterBits;
        long[] newTable = java.util.Arrays.copyOf(table, (int) ((clusters << clusterBits) / 8));
        long firstRange = start >>> blockBits;
        for (long r = 0; r < blocksNeeded; r++) {
            long index = firstRange + r;
            long blockCluster = start + r;
            ByteBuffer block = ByteBuffer.allocate(clusterSize);
            for (long c = Math.max(start, index * perBlock); c < Math.min(end, (index + 1) * perBlock); c++) {
                putEntry(block, c & (perBlock - 1), 1);
            }
            file.write(blockCluster << clusterBits, block.duplicate());
            newTable[(int) index] = blockCluster << clusterBits;
            cache(index, block);
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) (clusters << clusterBits));
        bytes.asLongBuffer().put(newTable);
        file.write(newTableOffset, bytes);
        file.dataSync();
        file.write(Qcow2Header.REFCOUNT_TABLE_FIELD,
                ByteBuffer.allocate(12).putLong(0, newTableOffset).putInt(8, (int) clusters));
        file.dataSync();
        long oldFirst = tableOffset >>> clusterBits;
        int oldClusters = tableClusters;
        table = newTable;
        tableOffset = newTableOffset;
        tableClusters = (int) clusters;
        for (long c = start; c < end; c++) {
            metadata.add(c);
        }
        for (long c = oldFirst; c < oldFirst + oldClusters; c++) {
            metadata.remove(c);
            decrement(c);
        }
    }

    private ByteBuffer block(long index) throws StorageException {
        ByteBuffer block = blocks.get(index);
        if (block == null) {
            block = ByteBuffer.allocate(clusterSize);
            file.read(table[(int) index], block);
            cache(index, block);
        }
        return block;
    }

    private void cache(long index, ByteBuffer block) {
        blocks.put(index, block);
        if (blocks.size() > Math.max(4, CACHE_BYTES >>> clusterBits)) {
            blocks.remove(blocks.keySet().iterator().next());
        }
    }

    /** Entry {@code i} of a block: big-endian for widths of a byte and more, from the low bit up below that. */
    private long entry(ByteBuffer block, long i) {
        int bits = 1 << order;
        return switch (bits) {
            case 64 -> block.getLong((int) (i * 8));
            case 32 -> Integer.toUnsignedLong(block.getInt((int) (i * 4)));
            case 16 -> Short.toUnsignedLong(block.getShort((int) (i * 2)));
            case 8 -> Byte.toUnsignedLong(block.get((int) i));
            default -> {
                int bit = (int) (i * bits);
                yield (block.get(bit >>> 3) >>> (bit & 7)) & ((1 << bits) - 1);
            }
        };
    }

    private void putEntry(ByteBuffer block, long i, long value) {
        int bits = 1 << order;
        switch (bits) {
            case 64 -> block.putLong((int) (i * 8), value);
            case 32 -> block.putInt((int) (i * 4), (int) value);
            case 16 -> block.putShort((int) (i * 2), (short) value);
            case 8 -> block.put((int) i, (byte) value);
            default -> {
                int bit = (int) (i * bits);
                int mask = ((1 << bits) - 1) << (bit & 7);
                int old = block.get(bit >>> 3);
                block.put(bit >>> 3, (byte) ((old & ~mask) | (((int) value << (bit & 7)) & mask)));
            }
        }
    }
}
