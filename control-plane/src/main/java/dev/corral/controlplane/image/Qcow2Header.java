package dev.corral.controlplane.image;

import java.nio.ByteBuffer;

/**
 * The part of a qcow2 header an image needs (QEMU's docs/interop/qcow2.txt, all fields big-endian):
 * <pre>
 *  0: uint32 magic                 'Q' 'F' 'I' 0xfb
 *  4: uint32 version               2 or 3
 *  8: uint64 backing_file_offset   0: no backing file
 * 16: uint32 backing_file_size
 * 20: uint32 cluster_bits
 * 24: uint64 size                  the virtual disk's size in bytes
 * </pre>
 */
public record Qcow2Header(int version, long virtualSizeBytes) {

    /** How many bytes {@link #parse} needs. */
    public static final int LENGTH = 32;
    private static final int MAGIC = 0x514649fb;

    /** Thrown by {@link #parse} with the sentence that says why the bytes are not a usable image. */
    public static final class NotUsableException extends IllegalArgumentException {
        NotUsableException(String message) {
            super(message);
        }
    }

    /** Reads the header from the first {@link #LENGTH} bytes of a file; refuses what an image may not be. */
    public static Qcow2Header parse(byte[] head) {
        if (head.length < LENGTH || ByteBuffer.wrap(head).getInt(0) != MAGIC) {
            throw new NotUsableException("is not a qcow2 image (no QFI\\xfb magic at its start)");
        }
        var b = ByteBuffer.wrap(head);
        int version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw new NotUsableException("is qcow2 version " + version + "; only versions 2 and 3 are supported");
        }
        if (b.getLong(8) != 0) {
            throw new NotUsableException("has a backing file; an image must be self-contained (qemu-img convert -O qcow2 flattens it)");
        }
        long size = b.getLong(24);
        if (size <= 0) {
            throw new NotUsableException("has a virtual size of " + Long.toUnsignedString(size) + " bytes; it must be above 0 and below 2^63");
        }
        return new Qcow2Header(version, size);
    }
}
