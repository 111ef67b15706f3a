package dev.corral.engine.cpu.state;

/** An access to an address the guest may not touch in that way (unmapped, or missing permission). */
public final class MemoryFault extends RuntimeException {

    public enum Access { READ, WRITE, EXECUTE }

    private final long address;
    private final Access access;
    private final int errorCode;

    public MemoryFault(long address, Access access) {
        this(address, access, -1);
    }

    /** A fault with the #PF error code the page walk worked out (P, W, U, I bits). */
    public MemoryFault(long address, Access access, int errorCode) {
        super(access.name().toLowerCase(java.util.Locale.ROOT) + " of unmapped or protected address 0x"
                + Long.toHexString(address), null, false, false);
        this.address = address;
        this.access = access;
        this.errorCode = errorCode;
    }

    /** The #PF error code, or -1 when the memory did not work one out (the CPU derives it from the access). */
    public int errorCode() {
        return errorCode;
    }

    public long address() {
        return address;
    }

    public Access access() {
        return access;
    }
}
