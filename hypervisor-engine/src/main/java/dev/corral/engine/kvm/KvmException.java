package dev.corral.engine.kvm;

/** KVM cannot be used as this engine needs it (a missing capability, another API version). */
public final class KvmException extends RuntimeException {

    public KvmException(String message) {
        super(message);
    }
}
