package dev.corral.engine.storage;

/**
 * A disk image cannot be opened, read or written as asked: a corrupt or unsupported image, an access outside the
 * disk, a write to a read-only image, or a host I/O error (kept as the cause). The message says which image and
 * what failed.
 */
public class StorageException extends Exception {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
