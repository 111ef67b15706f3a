package dev.corral.engine.vm;

/** The VM asked for an accelerator this host cannot give it (KVM where /dev/kvm is missing or unusable). */
public final class AcceleratorUnavailableException extends VmException {

    public AcceleratorUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
