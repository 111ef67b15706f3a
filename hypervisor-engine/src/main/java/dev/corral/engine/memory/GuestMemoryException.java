package dev.corral.engine.memory;

/** A guest-physical access outside guest RAM: a device reading a bad descriptor, a guest pointing nowhere. */
public class GuestMemoryException extends RuntimeException {
    public GuestMemoryException(String message) {
        super(message);
    }
}
