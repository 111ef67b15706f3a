package dev.corral.engine.machine;

/**
 * A device refused a guest access it cannot make sense of, e.g. a write of a reserved value. The bus catches
 * it, counts it against the device and carries on (reads give all-ones, writes are dropped): a guest poking a
 * device wrongly must not take the VM down.
 */
public class DeviceException extends RuntimeException {
    public DeviceException(String message) {
        super(message);
    }
}
