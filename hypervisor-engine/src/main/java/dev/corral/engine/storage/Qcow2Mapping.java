package dev.corral.engine.storage;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The guest-to-host cluster mapping of a qcow2 image (qcow2.txt, "Cluster mapping"): the active L1 table, held in
 * memory, and its L2 tables, read on demand into a bounded cache. Every entry read from the file is checked before
 * it is used: reserved bits clear, offsets cluster-aligned inside the file, never pointing into the image's own
 * metadata.
 *
 * <p>Changes stay in memory (dirty) until {@link #writeBack()}, which the image calls only after an fdatasync that
 * made durable the data and refcounts the new entries point at; a dirty table pushed out of the cache is written
 * the same way, after its own fdatasync. A new L2 table's cluster is zeroed in the file when it is allocated, so an
 * L1 entry that reaches the disk before its table's contents points at a table of unallocated entries.
 */
final class Qcow2Mapping {

    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1;
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    private static final long L1_RESERVED = 0x7f00_0000_0000_01ffL;
    private static final long L2_RESERVED = 0x3f00_0000_0000_01feL;

    /** An L2 table in memory: where it lives in the file, its entries, and whether they differ from the file's. */
    static final class Table {
        final long offset;
        final long[] entries;
        boolean dirty;

        Table(long offset, long[] entries) {
            this.offset = offset;
            this.entries = entries;
        }
    }

    private final ImageFile file;
    private final String image;
    private final ClusterSet metadata;
    private final int clusterBits;
    private final int clusterSize;
    private final int version;
    private final long[] l1;
    private final BitSet dirtyL1 = new BitSet();
    private final LinkedHashMap<Integer, Table> tables = new LinkedHashMap<>(16, 0.75f, true);
    private final int capacity;

    Qcow2Mapping(ImageFile file, Qcow2Header header, ClusterSet metadata, long[] l1) {
        this.file = file;
        this.image = file.name();
        this.metadata = metadata;
        this.clusterBits = header.clusterBits();
        this.clusterSize = 1 << clusterBits;
        this.version = header.version();
        this.l1 = l1;
        // 16 MiB of L2 tables: with 64 KiB clusters, the mapping of 128 GiB of disk.
        this.capacity = Math.max(16, (16 << 20) >>> clusterBits);
    }

    /** Reads and checks the active L1 table: each L2 table cluster-aligned inside the file. */
    static long[] readL1(ImageFile file, Qcow2Header header) throws StorageException {
        ByteBuffer bytes = ByteBuffer.allocate(header.l1Size() * 8);
        file.read(header.l1TableOffset(), bytes);
        long[] l1 = new long[header.l1Size()];
        long clusterSize = header.clusterSize();
        long fileEnd = Qcow2Header.ceilDiv(file.length(), clusterSize) * clusterSize;
        for (int i = 0; i < l1.length; i++) {
            long entry = bytes.getLong(i * 8);
            long offset = entry & OFFSET_MASK;
            if ((entry & L1_RESERVED) != 0 || offset % clusterSize != 0 || offset >= fileEnd
                    || (offset == 0 && entry != 0)) {
                throw Qcow2Header.corrupt(file.name(), "its L1 entry " + i + " (0x" + Long.toHexString(entry)
                        + ") is not an L2 table inside the file");
            }
            l1[i] = entry;
        }
        return l1;
    }

    /** The clusters of the L2 tables the L1 table points at. */
    long[] tableClusters() {
        return java.util.Arrays.stream(l1).filter(e -> e != 0).map(e -> (e & OFFSET_MASK) >>> clusterBits).toArray();
    }

    int l1Size() {
        return l1.length;
    }

    long l1Entry(int index) {
        return l1[index];
    }

    /** The L2 entry of guest cluster {@code guest}, or 0 (unallocated) where it has no L2 table. */
    long entry(long guest) throws StorageException {
        Table table = table(guest, false);
        return table == null ? 0 : table.entries[(int) (guest & ((clusterSize >>> 3) - 1))];
    }

    /** The L2 table mapping {@code guest}, read if needed; null if there is none and {@code create} is false. */
    Table table(long guest, boolean create) throws StorageException {
        int index = (int) (guest >>> (clusterBits - 3));
        Table table = tables.get(index);
        if (table != null) {
            return table;
        }
        long entry = l1[index];
        if (entry == 0 && !create) {
            return null;
        }
        makeRoom();
        if (entry == 0) {
            return null;
        }
        long offset = entry & OFFSET_MASK;
        ByteBuffer bytes = ByteBuffer.allocate(clusterSize);
        file.read(offset, bytes);
        long[] entries = new long[clusterSize / 8];
        for (int i = 0; i < entries.length; i++) {
            entries[i] = checked(bytes.getLong(i * 8), offset, i);
        }
        table = new Table(offset, entries);
        tables.put(index, table);
        return table;
    }

    /** Sets the L2 entry of {@code guest}, allocating its L2 table from {@code refcounts} where it has none. */
    void set(long guest, long entry, Qcow2Refcounts refcounts) throws StorageException {
        int index = (int) (guest >>> (clusterBits - 3));
        Table table = table(guest, true);
        if (table == null) {
            if (entry == 0) {
                return;
            }
            long cluster = refcounts.allocate();
            long offset = cluster << clusterBits;
            if (offset >= file.length()) {
                file.extendTo(offset + clusterSize);
            } else {
                file.write(offset, ByteBuffer.allocate(clusterSize));
            }
            metadata.add(cluster);
            table = new Table(offset, new long[clusterSize / 8]);
            tables.put(index, table);
            l1[index] = offset | COPIED;
            dirtyL1.set(index);
        }
        table.entries[(int) (guest & ((clusterSize >>> 3) - 1))] = entry;
        table.dirty = true;
    }

    boolean dirty() {
        return !dirtyL1.isEmpty() || tables.values().stream().anyMatch(t -> t.dirty);
    }

    /** Writes every changed L2 table, then every changed L1 entry; the caller synced what they point at first. */
    void writeBack(long l1Offset) throws StorageException {
        for (Table table : tables.values()) {
            if (table.dirty) {
                write(table);
            }
        }
        for (int i = dirtyL1.nextSetBit(0); i >= 0; i = dirtyL1.nextSetBit(i + 1)) {
            file.write(l1Offset + i * 8L, ByteBuffer.allocate(8).putLong(0, l1[i]));
        }
        dirtyL1.clear();
    }

    private void write(Table table) throws StorageException {
        ByteBuffer bytes = ByteBuffer.allocate(clusterSize);
        bytes.asLongBuffer().put(table.entries);
        file.write(table.offset, bytes);
        table.dirty = false;
    }

    /** Keeps the cache under its capacity; a dirty table leaves only after an fdatasync and its own write. */
    private void makeRoom() throws StorageException {
        Iterator<Map.Entry<Integer, Table>> eldest = tables.entrySet().iterator();
        while (tables.size() >= capacity && eldest.hasNext()) {
            Table table = eldest.next().getValue();
            if (table.dirty) {
                file.dataSync();
                write(table);
            }
            eldest.remove();
        }
    }

    /** An L2 entry as read from the file at table {@code tableOffset}, index {@code i}, checked. */
    private long checked(long entry, long tableOffset, int i) throws StorageException {
        if ((entry & COMPRESSED) != 0) {
            long offset = compressedOffset(entry);
            if ((entry & COPIED) != 0 || offset == 0 || offset >= file.length()) {
                throw badEntry(entry, tableOffset, i, "a compressed cluster outside the file");
            }
            return entry;
        }
        long offset = entry & OFFSET_MASK;
        if ((entry & L2_RESERVED) != 0 || (version == 2 && (entry & ZERO) != 0)) {
            throw badEntry(entry, tableOffset, i, "reserved bits set");
        }
        if (offset == 0 && (entry & COPIED) != 0) {
            throw badEntry(entry, tableOffset, i, "offset 0 marked in use (external data files are not supported)");
        }
        if (offset != 0 && (offset % clusterSize != 0 || offset >= file.length()
                || metadata.contains(offset >>> clusterBits))) {
            throw badEntry(entry, tableOffset, i, "not a data cluster inside the file");
        }
        return entry;
    }

    private StorageException badEntry(long entry, long tableOffset, int i, String why) {
        return Qcow2Header.corrupt(image, "entry " + i + " (0x" + Long.toHexString(entry) + ") of the L2 table at "
                + tableOffset + ": " + why);
    }

    /** The host byte offset of a compressed cluster's data (qcow2.txt, "Compressed Clusters Descriptor"). */
    long compressedOffset(long entry) {
        int x = 62 - (clusterBits - 8);
        return entry & ((1L << x) - 1);
    }

    /** The bytes a compressed cluster's data may span: whole 512-byte sectors counted from its offset's sector. */
    long compressedSize(long entry) {
        int x = 62 - (clusterBits - 8);
        long sectors = ((entry >>> x) & ((1L << (clusterBits - 8)) - 1)) + 1;
        return sectors * 512 - (compressedOffset(entry) & 511);
    }
}
