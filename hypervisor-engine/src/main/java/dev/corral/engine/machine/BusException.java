package dev.corral.engine.machine;

/**
 * The machine was put together wrongly: a device range that overlaps another, is empty, or lies outside the
 * bus. A bug in whoever builds the machine, never something a guest can cause.
 */
public class BusException extends RuntimeException {
    public BusException(String message) {
        super(message);
    }
}
