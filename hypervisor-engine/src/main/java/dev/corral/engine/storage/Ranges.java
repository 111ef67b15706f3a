package dev.corral.engine.storage;

/** The checks every image makes on the guest's offsets and lengths before touching a file. */
final class Ranges {

    private Ranges() {
    }

    /** Refuses [offset, offset + length) unless it lies inside a disk of {@code size} bytes. */
    static void check(String image, long size, long offset, long length) throws StorageException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new StorageException(image + ": the access of " + length + " bytes at offset " + offset
                    + " is outside the disk of " + size + " bytes");
        }
    }

    static void checkWritable(String image, boolean readOnly) throws StorageException {
        if (readOnly) {
            throw new StorageException(image + ": the image is read-only");
        }
    }
}
