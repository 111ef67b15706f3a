package dev.corral.engine.storage;

import static dev.corral.engine.storage.Qcow2Mapping.COMPRESSED;
import static dev.corral.engine.storage.Qcow2Mapping.COPIED;
import static dev.corral.engine.storage.Qcow2Mapping.OFFSET_MASK;
import static dev.corral.engine.storage.Qcow2Mapping.ZERO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A qcow2 disk image (QEMU docs/interop/qcow2.txt), versions 2 and 3, written from the specification: reads through
 * to a raw or qcow2 backing image (opened read-only, never written), allocates clusters on first write with
 * copy-on-write of the rest of the cluster from the backing image, reads zlib-compressed clusters, and discards by
 * freeing clusters (the zero flag where a backing image would otherwise show through). Images it creates are
 * version 3, 64 KiB clusters, 16-bit refcounts, no lazy refcounts. Encryption, external data files, extended L2
 * entries, zstd compression and writing to images with internal snapshots are refused at open.
 *
 * <h2>Crash consistency</h2>
 * The invariant, at every moment, for what is on disk: every cluster referenced by the header, the L1 table or a
 * reachable L2 table has a refcount of at least one, and every L2 entry points at a cluster whose data (the guest's
 * bytes plus the copied-on-write remainder) is fully written. The writes are ordered to keep it:
 * <ol>
 *   <li>A new cluster's refcount is written (to the page cache) when it is allocated, before anything else.</li>
 *   <li>Its data, the whole cluster where copy-on-write fills it, is written next. A new L2 table is zeroed.</li>
 *   <li>L2 and L1 changes stay in memory until {@link #flush()}: fdatasync (1), then the changed L2 tables and L1
 *       entries are written, then fdatasync (2). So a table entry reaches the disk only after the refcount and data
 *       it points at are durable; a crash loses only table updates that no flush had yet promised.</li>
 *   <li>A cluster given up by a discard or an overwrite (copy-on-write of a compressed or shared cluster) is only
 *       queued; after fdatasync (2) made the table no longer referencing it durable, its refcount is lowered and
 *       its space punched, then fdatasync (3). It cannot be reallocated before that, so no two durable references
 *       to one cluster can exist.</li>
 *   <li>Refcount structure growth follows the same rule (see {@link Qcow2Refcounts}).</li>
 * </ol>
 * A crash at any point (a SIGKILL of the process keeps every completed write; a power loss keeps everything up
 * to the last fdatasync and any subset after it) therefore leaves at worst clusters counted but unreferenced, which
 * {@code qemu-img check} reports as leaks, never as corruption; and a completed flush has made every earlier write
 * durable. Writes into a cluster already owned by this image (refcount one) go in place, like a raw disk.
 *
 * <p>The header and every table entry come from an untrusted file and are checked before use (see
 * {@link Qcow2Header} and {@link Qcow2Mapping}); an image opened for writing is walked once at open to check that
 * every reference it holds is counted. Thread-safe: one lock per image serialises requests.
 */
public final class Qcow2Image implements BlockImage {

    /** The cluster size of created images: 64 KiB, QEMU's default. */
    public static final int CLUSTER_BITS = 16;
    private static final byte[] ZEROS = new byte[1 << Qcow2Header.MAX_CLUSTER_BITS];

    private final ImageFile file;
    private final String name;
    private final Qcow2Header header;
    private final int clusterBits;
    private final int clusterSize;
    private final boolean readOnly;
    private final BlockImage backing;
    private final Qcow2Mapping mapping;
    private final Qcow2Refcounts refcounts;
    private final List<Long> pendingFree = new ArrayList<>();
    private final ByteBuffer scratch;
    private long decompressedEntry = -1;
    private ByteBuffer decompressed;
    private boolean closed;

    private Qcow2Image(ImageFile file, Qcow2Header header, boolean readOnly, BlockImage backing, Qcow2Mapping mapping,
                       Qcow2Refcounts refcounts) {
        this.file = file;
        this.name = file.name();
        this.header = header;
        this.clusterBits = header.clusterBits();
        this.clusterSize = 1 << clusterBits;
        this.readOnly = readOnly;
        this.backing = backing;
        this.mapping = mapping;
        this.refcounts = refcounts;
        this.scratch = ByteBuffer.allocate(clusterSize);
    }

    /** Creates an empty qcow2 image of {@code size} bytes without a backing file; refuses an existing file. */
    public static void create(Path path, long size) throws StorageException {
        Qcow2Create.write(path, size, null, null);
    }

    /**
     * Creates a qcow2 overlay of {@code size} bytes on {@code backingPath}: it reads as the backing image until
     * written. The absolute backing path and its format are recorded for qemu-img; Corral itself reopens the overlay
     * with {@link Backing#file}. Refuses an existing file.
     */
    public static void createOverlay(Path path, Path backingPath, ImageFormat backingFormat, long size)
            throws StorageException {
        if (!Files.isRegularFile(backingPath)) {
            throw new StorageException(path + ": the backing image " + backingPath + " is not a file");
        }
        Qcow2Create.write(path, size, backingPath.toAbsolutePath().normalize().toString(), backingFormat.qemuName());
    }

    /**
     * Opens a qcow2 image.
     *
     * @param backing how its backing file, if it names one, is found; {@link Backing#none()} refuses one
     */
    public static Qcow2Image open(Path path, boolean readOnly, Backing backing) throws StorageException {
        return open(path, readOnly, backing, null);
    }

    /** Opens the image with its file's writes reported to {@code journal} (tests replay them as crashes). */
    static Qcow2Image open(Path path, boolean readOnly, Backing backing, ImageFile.Journal journal)
            throws StorageException {
        ImageFile file = ImageFile.open(path, readOnly, journal);
        BlockImage base = null;
        try {
            Qcow2Header header = readHeader(file);
            if (!readOnly && header.snapshotCount() > 0) {
                throw new StorageException(path + ": writing to qcow2 images with internal snapshots is not supported");
            }
            if (!readOnly && (header.incompatibleFeatures() & Qcow2Header.DIRTY) != 0) {
                throw new StorageException(path + ": the image's refcounts are dirty (lazy refcounts); repair it with "
                        + "qemu-img check -r all before writing to it");
            }
            base = openBacking(path, header, backing);
            long[] l1 = Qcow2Mapping.readL1(file, header);
            long[] refcountTable = Qcow2Refcounts.readTable(file, header);
            long l1Clusters = Qcow2Header.ceilDiv(l1.length * 8L, header.clusterSize());
            long[] clusters = new long[(int) (1 + l1Clusters + header.refcountTableClusters() + refcountTable.length
                    + l1.length)];
            int n = 0;
            clusters[n++] = 0;
            for (long i = 0; i < l1Clusters; i++) {
                clusters[n++] = (header.l1TableOffset() >>> header.clusterBits()) + i;
            }
            for (int i = 0; i < header.refcountTableClusters(); i++) {
                clusters[n++] = (header.refcountTableOffset() >>> header.clusterBits()) + i;
            }
            for (long entry : refcountTable) {
                if (entry != 0) {
                    clusters[n++] = entry >>> header.clusterBits();
                }
            }
            for (long entry : l1) {
                if (entry != 0) {
                    clusters[n++] = (entry & OFFSET_MASK) >>> header.clusterBits();
                }
            }
            clusters = java.util.Arrays.copyOf(clusters, n);
            ClusterSet metadata = ClusterSet.of(clusters, path.toString());
            Qcow2Mapping mapping = new Qcow2Mapping(file, header, metadata, l1);
            Qcow2Refcounts refcounts = null;
            if (!readOnly) {
                refcounts = new Qcow2Refcounts(file, header, metadata);
                Qcow2Check.references(path.toString(), header, mapping, refcounts, clusters);
                if (header.autoclearFeatures() != 0) {
                    // Unknown auto-clear features (dirty bitmaps) must be cleared before writing: we do not keep them.
                    file.write(Qcow2Header.AUTOCLEAR_FIELD, ByteBuffer.allocate(8));
                    file.dataSync();
                }
            }
            return new Qcow2Image(file, header, readOnly, base, mapping, refcounts);
        } catch (StorageException | RuntimeException | Error e) {
            closeQuietly(base, e);
            closeQuietly(file, e);
            throw e;
        }
    }

    private static Qcow2Header readHeader(ImageFile file) throws StorageException {
        ByteBuffer start = ByteBuffer.allocate(Qcow2Header.V3_LENGTH);
        file.read(0, start);
        int clusterBits = start.getInt(20);
        if (clusterBits < 9 || clusterBits > Qcow2Header.MAX_CLUSTER_BITS) {
            return Qcow2Header.parse(file.name(), start, file.length());
        }
        ByteBuffer cluster0 = ByteBuffer.allocate(1 << clusterBits);
        file.read(0, cluster0);
        return Qcow2Header.parse(file.name(), cluster0, file.length());
    }

    private static BlockImage openBacking(Path path, Qcow2Header header, Backing backing) throws StorageException {
        String named = header.backingFile();
        return switch (backing) {
            case Backing.None none -> {
                if (named != null) {
                    throw new StorageException(path + ": the image names a backing file ('" + named
                            + "'), which is not allowed for this image");
                }
                yield null;
            }
            case Backing.Given given -> {
                if (named == null) {
                    throw new StorageException(path + ": a backing image was given but the image has no backing file");
                }
                yield given.format().open(given.path(), true, Backing.none());
            }
            case Backing.Chain chain -> {
                if (named == null) {
                    yield null;
                }
                Path self = realPath(path);
                Backing.Chain here = chain.visited().contains(self) ? chain : chain.after(self);
                Path base = here.resolve(path, named);
                if (header.backingFormat() == null) {
                    throw new StorageException(path + ": its backing file '" + named + "' has no recorded format, "
                            + "and formats are never guessed");
                }
                yield ImageFormat.parse(header.backingFormat()).open(base, true, here.after(base));
            }
        };
    }

    private static Path realPath(Path path) throws StorageException {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new StorageException(path + ": cannot resolve the image's path: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable closeable, Throwable failure) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                failure.addSuppressed(e);
            }
        }
    }

    @Override
    public long size() {
        return header.size();
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    /** The qcow2 version of the file (2 or 3). */
    public int version() {
        return header.version();
    }

    @Override
    public synchronized void read(long offset, ByteBuffer destination) throws StorageException {
        open();
        int length = destination.remaining();
        Ranges.check(name, size(), offset, length);
        eachCluster(offset, length, (guest, inCluster, done, n) ->
                readPiece(guest, inCluster, destination.slice(destination.position() + (int) done, n)));
        destination.position(destination.limit());
    }

    @Override
    public synchronized void write(long offset, ByteBuffer source) throws StorageException {
        open();
        Ranges.checkWritable(name, readOnly);
        int length = source.remaining();
        Ranges.check(name, size(), offset, length);
        eachCluster(offset, length, (guest, inCluster, done, n) ->
                writePiece(guest, inCluster, source.slice(source.position() + (int) done, n)));
        source.position(source.limit());
    }

    @Override
    public synchronized void discard(long offset, long length) throws StorageException {
        open();
        Ranges.checkWritable(name, readOnly);
        Ranges.check(name, size(), offset, length);
        eachCluster(offset, length, (guest, inCluster, done, n) -> {
            long entry = mapping.entry(guest);
            boolean whole = inCluster == 0 && (n == clusterSize || offset + done + n == size());
            // Over a backing image an unallocated cluster would show the base again: version 3 has the zero flag
            // for that; version 2 has none, so there the zeros are written.
            if (whole && (backing == null || header.version() >= 3)) {
                long unmapped = backing == null ? 0 : ZERO;
                if (entry != unmapped) {
                    mapping.set(guest, unmapped, refcounts);
                    release(entry);
                }
            } else if (!readsAsZeros(guest, entry)) {
                writePiece(guest, inCluster, ByteBuffer.wrap(ZEROS, 0, n));
            }
        });
    }

    /** One cluster's part of a request: the guest cluster, where in it, how far into the request, how many bytes. */
    @FunctionalInterface
    private interface ClusterPiece {
        void apply(long guestCluster, int inCluster, long done, int length) throws StorageException;
    }

    /** Cuts {@code [offset, offset + length)} at cluster boundaries and hands each piece on, in order. */
    private void eachCluster(long offset, long length, ClusterPiece piece) throws StorageException {
        long done = 0;
        while (done < length) {
            long at = offset + done;
            int inCluster = (int) (at & (clusterSize - 1));
            int n = (int) Math.min(clusterSize - inCluster, length - done);
            piece.apply(at >>> clusterBits, inCluster, done, n);
            done += n;
        }
    }

    @Override
    public synchronized void flush() throws StorageException {
        open();
        if (readOnly) {
            return;
        }
        boolean tables = mapping.dirty();
        file.dataSync();
        if (tables || !pendingFree.isEmpty()) {
            mapping.writeBack(header.l1TableOffset());
            file.dataSync();
        }
        if (!pendingFree.isEmpty()) {
            List<Long> freed = new ArrayList<>(pendingFree);
            pendingFree.clear();
            for (long entry : freed) {
                free(entry);
            }
            file.dataSync();
        }
    }

    @Override
    public synchronized void close() throws StorageException {
        if (closed) {
            return;
        }
        try {
            flush();
        } finally {
            closed = true;
            try {
                file.close();
            } finally {
                if (backing != null) {
                    backing.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "qcow2 image " + name;
    }

    private void open() throws StorageException {
        if (closed) {
            throw new StorageException(name + ": the image is closed");
        }
    }

    private void readPiece(long guest, int inCluster, ByteBuffer destination) throws StorageException {
        long entry = mapping.entry(guest);
        if ((entry & COMPRESSED) != 0) {
            destination.put(decompress(entry).slice(inCluster, destination.remaining()));
        } else if ((entry & ZERO) != 0) {
            destination.put(ZEROS, 0, destination.remaining());
        } else if ((entry & OFFSET_MASK) == 0) {
            readBacking((guest << clusterBits) + inCluster, destination);
        } else {
            file.read((entry & OFFSET_MASK) + inCluster, destination);
        }
    }

    private void readBacking(long offset, ByteBuffer destination) throws StorageException {
        long available = backing == null ? 0 : Math.max(0, backing.size() - offset);
        if (available < destination.remaining()) {
            int from = destination.position() + (int) available;
            destination.slice(from, destination.limit() - from).put(ZEROS, 0, destination.limit() - from);
            destination.limit(from);
        }
        if (destination.hasRemaining()) {
            backing.read(offset, destination);
        }
    }

    /** Whether a cluster with this entry reads as zeros without anything written to it. */
    private boolean readsAsZeros(long guest, long entry) {
        if ((entry & COMPRESSED) != 0) {
            return false;
        }
        if ((entry & ZERO) != 0) {
            return true;
        }
        return (entry & OFFSET_MASK) == 0 && (backing == null || backing.size() <= guest << clusterBits);
    }

    private void writePiece(long guest, int inCluster, ByteBuffer source) throws StorageException {
        long entry = mapping.entry(guest);
        long offset = entry & OFFSET_MASK;
        if ((entry & (COMPRESSED | ZERO)) == 0 && offset != 0 && (entry & COPIED) != 0) {
            file.write(offset + inCluster, source);
            return;
        }
        long cluster = refcounts.allocate() << clusterBits;
        if (source.remaining() == clusterSize) {
            file.write(cluster, source);
        } else if (readsAsZeros(guest, entry) && cluster >= file.length()) {
            file.write(cluster + inCluster, source);
            file.extendTo(cluster + clusterSize);
        } else {
            scratch.clear();
            readPiece(guest, 0, scratch);
            scratch.clear().position(inCluster);
            scratch.put(source).clear();
            file.write(cluster, scratch);
        }
        mapping.set(guest, cluster | COPIED, refcounts);
        release(entry);
    }

    /** Queues the host clusters an entry held for freeing once the table that dropped it is durable. */
    private void release(long entry) {
        if ((entry & COMPRESSED) != 0 || (entry & OFFSET_MASK) != 0) {
            pendingFree.add(entry);
        }
    }

    private void free(long entry) throws StorageException {
        if ((entry & COMPRESSED) != 0) {
            long offset = mapping.compressedOffset(entry);
            long last = offset + mapping.compressedSize(entry) - 1;
            for (long c = offset >>> clusterBits; c <= last >>> clusterBits; c++) {
                refcounts.decrement(c);
            }
            return;
        }
        long offset = entry & OFFSET_MASK;
        if (refcounts.decrement(offset >>> clusterBits) == 0) {
            file.punch(offset, clusterSize);
        }
    }

    /** The guest bytes of a zlib-compressed cluster (raw deflate, stopping at one cluster of output). */
    private ByteBuffer decompress(long entry) throws StorageException {
        if (entry == decompressedEntry) {
            return decompressed;
        }
        if (header.compressionZstd()) {
            throw new StorageException(name + ": zstd-compressed clusters are not supported");
        }
        long offset = mapping.compressedOffset(entry);
        byte[] input = new byte[(int) Math.min(mapping.compressedSize(entry), file.length() - offset)];
        file.read(offset, ByteBuffer.wrap(input));
        byte[] output = new byte[clusterSize];
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(input);
            int n = 0;
            while (n < output.length) {
                int produced = inflater.inflate(output, n, output.length - n);
                if (produced == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += produced;
            }
            if (n < output.length) {
                throw Qcow2Header.corrupt(name, "a compressed cluster at " + offset + " inflates to " + n + " bytes");
            }
        } catch (DataFormatException e) {
            throw Qcow2Header.corrupt(name, "a compressed cluster at " + offset + " is not valid deflate data");
        } finally {
            inflater.end();
        }
        decompressedEntry = entry;
        decompressed = ByteBuffer.wrap(output).asReadOnlyBuffer();
        return decompressed;
    }
}
