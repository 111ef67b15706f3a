package dev.corral.engine.cpu;

/** An access to an address the guest may not touch in that way (unmapped, or missing permission). */
public final class MemoryFault extends RuntimeException {

    public enum Access { READ, WRITE, EXECUTE }

    private final long address;
    private final Access access;

    public MemoryFault(long address, Access access) {
        super(access.name().toLowerCase(java.util.Locale.ROOT) + " of unmapped or protected address 0x"
                + Long.toHexString(address), null, false, false);
        this.address = address;
        this.access = access;
    }

    public long address() {
        return address;
    }

    public Access access() {
        return access;
    }
}
