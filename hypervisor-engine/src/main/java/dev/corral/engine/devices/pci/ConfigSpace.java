package dev.corral.engine.devices.pci;

/**
 * The 256 bytes of a function's PCI configuration space as registers with access rules (PCI Local Bus 3.0, 6.1):
 * each bit is read-only, read-write, or RW1C (a status bit the function sets and software clears by writing 1).
 * Reserved and unimplemented bits are read-only zeros, so a guest writing anything anywhere changes only what
 * the specification lets it change. The registers with side effects (BARs, the command register's decode bits)
 * are interpreted by {@link PciFunction}; this class only stores and masks.
 *
 * <p>Capabilities are chained from the capabilities pointer (0x34) in the order they are added, each on a dword
 * boundary after the type 0 header (0x40 onwards).
 *
 * <p>Not thread-safe: {@link PciFunction} guards it.
 */
final class ConfigSpace {

    static final int SIZE = 256;
    static final int HEADER_END = 0x40;

    // Type 0 header offsets.
    static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08, CLASS = 0x09;
    static final int CACHE_LINE = 0x0c, LATENCY = 0x0d, HEADER_TYPE = 0x0e, BIST = 0x0f, BAR0 = 0x10, CARDBUS_CIS = 0x28;
    static final int SUBSYSTEM_VENDOR = 0x2c, SUBSYSTEM_ID = 0x2e, EXPANSION_ROM = 0x30, CAPABILITIES = 0x34;
    static final int INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d, MIN_GRANT = 0x3e, MAX_LATENCY = 0x3f;

    // Command register bits.
    static final int COMMAND_IO = 1, COMMAND_MEMORY = 1 << 1, COMMAND_BUS_MASTER = 1 << 2, COMMAND_PARITY = 1 << 6;
    static final int COMMAND_SERR = 1 << 8, COMMAND_INTX_DISABLE = 1 << 10;

    // Status register bits.
    static final int STATUS_INTERRUPT = 1 << 3, STATUS_CAPABILITIES = 1 << 4, STATUS_MASTER_PARITY = 1 << 8;
    static final int STATUS_SIGNALED_TARGET_ABORT = 1 << 11, STATUS_RECEIVED_TARGET_ABORT = 1 << 12;
    static final int STATUS_RECEIVED_MASTER_ABORT = 1 << 13, STATUS_SIGNALED_SYSTEM_ERROR = 1 << 14;
    static final int STATUS_DETECTED_PARITY = 1 << 15;
    static final int STATUS_RW1C = STATUS_MASTER_PARITY | STATUS_SIGNALED_TARGET_ABORT | STATUS_RECEIVED_TARGET_ABORT
            | STATUS_RECEIVED_MASTER_ABORT | STATUS_SIGNALED_SYSTEM_ERROR | STATUS_DETECTED_PARITY;

    private final byte[] value = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] clearOnOne = new byte[SIZE];
    private int lastCapability; // offset of the last capability, 0 while there is none
    private int free = HEADER_END;

    /** A function's identity; everything else in the header starts at zero. */
    ConfigSpace(PciFunction.Identity id) {
        set(VENDOR_ID, 2, id.vendorId());
        set(DEVICE_ID, 2, id.deviceId());
        set(REVISION, 1, id.revision());
        set(CLASS, 3, id.classCode());
        set(SUBSYSTEM_VENDOR, 2, id.subsystemVendorId());
        set(SUBSYSTEM_ID, 2, id.subsystemId());
        set(INTERRUPT_PIN, 1, id.interruptPin());
        // Memory decode is writable only for a function with memory BARs (PciFunction opens it per BAR); I/O decode
        // stays zero as nothing here has I/O BARs.
        writable(COMMAND, 2, COMMAND_BUS_MASTER | COMMAND_PARITY | COMMAND_SERR | (id.interruptPin() != 0 ? COMMAND_INTX_DISABLE : 0));
        rw1c(STATUS, 2, STATUS_RW1C);
        writable(CACHE_LINE, 1, 0xff);
        writable(LATENCY, 1, 0xff);
        writable(INTERRUPT_LINE, 1, 0xff);
    }

    int get(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            v |= (value[offset + i] & 0xff) << (8 * i);
        }
        return v;
    }

    /** Sets bits as the function sees them, whatever their access rule. */
    void set(int offset, int size, int v) {
        for (int i = 0; i < size; i++) {
            value[offset + i] = (byte) (v >>> (8 * i));
        }
    }

    void writable(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            writable[offset + i] |= (byte) (mask >>> (8 * i));
        }
    }

    void rw1c(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) {
            clearOnOne[offset + i] |= (byte) (mask >>> (8 * i));
        }
    }

    /** A guest's write of {@code size} bytes at {@code offset}: only writable bits change, RW1C bits clear on one. */
    void write(int offset, int size, int v) {
        for (int i = 0; i < size; i++) {
            int b = (v >>> (8 * i)) & 0xff;
            int at = offset + i;
            int w = writable[at] & 0xff;
            int c = clearOnOne[at] & 0xff;
            int old = value[at] & 0xff;
            value[at] = (byte) ((old & ~w & ~(b & c)) | (b & w));
        }
    }

    /**
     * Appends a capability of {@code length} bytes (header included) with the given ID, links it into the list and
     * returns its offset. The body starts read-only and zero; the caller fills it and opens writable bits.
     */
    int addCapability(int id, int length) {
        if (length < 2 || free + length > SIZE) {
            throw new IllegalStateException("a capability of " + length + " bytes does not fit in configuration space at 0x"
                    + Integer.toHexString(free));
        }
        int at = free;
        free = (free + length + 3) & ~3;
        set(at, 1, id);
        if (lastCapability == 0) {
            set(CAPABILITIES, 1, at);
            set(STATUS, 2, get(STATUS, 2) | STATUS_CAPABILITIES);
        } else {
            set(lastCapability + 1, 1, at);
        }
        lastCapability = at;
        return at;
    }
}
