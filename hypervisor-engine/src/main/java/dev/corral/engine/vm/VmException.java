package dev.corral.engine.vm;

/**
 * A VM cannot be created as configured: a bad configuration, a kernel or initrd that cannot be booted, guest
 * memory the host cannot map, or an accelerator the host does not have ({@link AcceleratorUnavailableException}). The message says which; the cause, if any, is kept. Never thrown once the VM runs:
 * what goes wrong then is a {@link VirtualMachine.Outcome}.
 */
public class VmException extends RuntimeException {

    public VmException(String message) {
        super(message);
    }

    public VmException(String message, Throwable cause) {
        super(message, cause);
    }
}
