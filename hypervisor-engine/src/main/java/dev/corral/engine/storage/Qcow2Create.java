package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes a new, empty qcow2 image: version 3, 64 KiB clusters, refcount order 4, no lazy refcounts. Layout: the
 * header (with the backing file's format and name) in cluster 0, the refcount table in cluster 1, its first
 * refcount block in cluster 2 (counting clusters 0 to the end of the L1 table), the L1 table from cluster 3.
 *
 * <p>The image is written to a temporary file beside the target, synced, and then hard-linked to the target name,
 * which fails if the name exists; the directory is synced after. So the image appears at its name whole or not at
 * all, and an existing image (a VM's overlay, kept until the VM is deleted) is never replaced.
 */
final class Qcow2Create {

    private Qcow2Create() {
    }

    static void write(Path path, long size, String backingFile, String backingFormat) throws StorageException {
        int clusterBits = Qcow2Image.CLUSTER_BITS;
        int clusterSize = 1 << clusterBits;
        if (size < 0) {
            throw new StorageException(path + ": a disk cannot have a negative size (" + size + ")");
        }
        long l1Entries = Qcow2Header.l1EntriesFor(size, clusterBits);
        if (l1Entries * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new StorageException(path + ": a qcow2 disk of " + size + " bytes is too large (its L1 table would "
                    + "be over 32 MiB)");
        }
        if (backingFile != null && backingFile.getBytes(StandardCharsets.UTF_8).length > Qcow2Header.MAX_BACKING_NAME) {
            throw new StorageException(path + ": the backing file name is longer than 1023 bytes");
        }
        long l1Clusters = Qcow2Header.ceilDiv(l1Entries * 8, clusterSize);
        long l1Offset = 3L * clusterSize;
        Path temporary = path.resolveSibling("." + path.getFileName() + ".creating-" + UUID.randomUUID());
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(channel, 0, Qcow2Header.encode(clusterBits, size, (int) l1Entries, l1Offset, clusterSize, 1,
                        backingFile, backingFormat));
                writeFully(channel, clusterSize, ByteBuffer.allocate(clusterSize).putLong(0, 2L * clusterSize));
                ByteBuffer block = ByteBuffer.allocate(clusterSize);
                for (int c = 0; c < 3 + l1Clusters; c++) {
                    block.putShort(c * 2, (short) 1);
                }
                writeFully(channel, 2L * clusterSize, block);
                // The L1 table: all unallocated, a hole of zeros up to the end of its last cluster.
                if (l1Clusters > 0) {
                    writeFully(channel, l1Offset + l1Clusters * clusterSize - 1, ByteBuffer.allocate(1));
                }
                channel.force(true);
            }
            Files.createLink(path, temporary);
            syncDirectory(path.toAbsolutePath().getParent());
        } catch (FileAlreadyExistsException e) {
            throw new StorageException(path + ": cannot create the image: the file already exists", e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new StorageException(path + ": cannot create the image: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                // A leftover temporary file is only litter beside a complete image (or none).
            }
        }
    }

    private static void writeFully(FileChannel channel, long position, ByteBuffer bytes) throws IOException {
        long at = position;
        while (bytes.hasRemaining()) {
            at += channel.write(bytes, at);
        }
    }

    private static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
