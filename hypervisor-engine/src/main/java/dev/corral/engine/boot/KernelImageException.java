package dev.corral.engine.boot;

/** A kernel, initrd or guest image that cannot be booted as given: malformed, truncated, or too big. */
public final class KernelImageException extends RuntimeException {

    public KernelImageException(String message) {
        super(message);
    }

    public KernelImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
