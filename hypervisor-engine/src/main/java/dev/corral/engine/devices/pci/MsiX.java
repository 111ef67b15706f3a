package dev.corral.engine.devices.pci;

import java.util.Objects;

/**
 * A function's MSI-X capability (PCI Local Bus 3.0, 6.8.2): a table of vectors, each an address, a data word and
 * a mask bit, and a pending bit array (PBA), both in a BAR; plus the capability's Message Control with its enable
 * and function mask bits. A device {@link #fire}s a vector; the message goes to the {@link MsiSink} at once, or, if
 * the vector or the whole function is masked, its pending bit is set and the message goes when the guest unmasks.
 *
 * <p>Rules kept: the table size and the table/PBA locations are read-only; every vector starts masked; vector
 * control bits other than the mask read zero; the low two address bits are zero (a DWORD write); the PBA is
 * read-only; nothing is sent while the guest has not enabled MSI-X or has turned bus mastering off (an MSI is a
 * memory write the function masters: it is dropped, as the write could not be issued).
 *
 * <p>Thread-safe: devices fire from their workers while vCPU threads program the table.
 */
public final class MsiX {

    public static final int CAPABILITY_ID = 0x11;
    public static final int ENTRY_SIZE = 16;
    static final int CONTROL = 2, TABLE = 4, PBA = 8, LENGTH = 12;
    static final int CONTROL_ENABLE = 1 << 15, CONTROL_FUNCTION_MASK = 1 << 14;
    static final int VECTOR_MASKED = 1;

    private final PciFunction function;
    private final MsiSink sink;
    private final int capability;
    private final int vectors;
    private final int[] table; // four dwords per vector: address low, address high, data, vector control
    private final long[] pending;
    private boolean enabled;
    private boolean functionMasked;
    private long sent;

    /**
     * Adds the capability to {@code function}: {@code vectors} entries (1-2048) at {@code tableOffset} of BAR
     * {@code bar}, the PBA at {@code pbaOffset} of the same BAR (both 8-byte aligned). The function forwards its
     * configuration writes ({@link #configWritten}) and the accesses to both regions ({@link #tableRead} etc.).
     */
    public MsiX(PciFunction function, int vectors, int bar, int tableOffset, int pbaOffset, MsiSink sink) {
        if (vectors < 1 || vectors > 2048) {
            throw new IllegalArgumentException("MSI-X has 1-2048 vectors, not " + vectors);
        }
        if ((tableOffset & 7) != 0 || (pbaOffset & 7) != 0 || bar < 0 || bar > 5) {
            throw new IllegalArgumentException("MSI-X table and PBA are 8-byte aligned in BAR 0-5");
        }
        this.function = Objects.requireNonNull(function, "function");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.vectors = vectors;
        this.table = new int[4 * vectors];
        this.pending = new long[(vectors + 63) / 64];
        for (int v = 0; v < vectors; v++) {
            table[4 * v + 3] = VECTOR_MASKED;
        }
        capability = function.addCapability(CAPABILITY_ID, LENGTH);
        function.initConfig(capability + CONTROL, 2, vectors - 1);
        function.initConfig(capability + TABLE, 4, tableOffset | bar);
        function.initConfig(capability + PBA, 4, pbaOffset | bar);
        function.openConfig(capability + CONTROL, 2, CONTROL_ENABLE | CONTROL_FUNCTION_MASK);
    }

    /** Bytes of the table. */
    public int tableSize() {
        return vectors * ENTRY_SIZE;
    }

    /** Bytes of the PBA: whole qwords. */
    public int pbaSize() {
        return pending.length * 8;
    }

    public int vectors() {
        return vectors;
    }

    /** Where the capability sits in configuration space. */
    public int capabilityOffset() {
        return capability;
    }

    /** The function's configuration space was written at [offset, offset + size): re-read Message Control. */
    public void configWritten(int offset, int size) {
        if (offset + size <= capability + CONTROL || offset >= capability + CONTROL + 2) {
            return;
        }
        int control = function.configRead(capability + CONTROL, 2);
        synchronized (this) {
            enabled = (control & CONTROL_ENABLE) != 0;
            functionMasked = (control & CONTROL_FUNCTION_MASK) != 0;
            deliverUnmasked();
        }
    }

    /** Whether the guest enabled MSI-X: then the function signals through it and not through INTx. */
    public synchronized boolean enabled() {
        return enabled;
    }

    /**
     * Signals {@code vector}: sends its message, or marks it pending while masked. A vector outside the table (the
     * guest told the device a number it does not have) is not signalled; returns whether the vector exists.
     */
    public synchronized boolean fire(int vector) {
        if (vector < 0 || vector >= vectors) {
            return false;
        }
        if (!enabled) {
            return true;
        }
        if (functionMasked || (table[4 * vector + 3] & VECTOR_MASKED) != 0) {
            pending[vector >>> 6] |= 1L << vector;
        } else {
            send(vector);
        }
        return true;
    }

    /** Whether {@code vector}'s pending bit is set. */
    public synchronized boolean pending(int vector) {
        return (pending[vector >>> 6] & (1L << vector)) != 0;
    }

    /** Messages handed to the sink so far. */
    public synchronized long sent() {
        return sent;
    }

    /** A read of {@code size} bytes at {@code offset} into the table; bytes past its end read zero. */
    public synchronized long tableRead(long offset, int size) {
        long v = 0;
        for (int i = 0; i < size && offset + i < tableSize(); i++) {
            long at = offset + i;
            int dword = table[(int) (at >>> 2)];
            v |= (long) ((dword >>> (8 * (at & 3))) & 0xff) << (8 * i);
        }
        return v;
    }

    /**
     * A write into the table: entries take it as the rules say (bytes past its end are dropped); unmasking a pending
     * vector sends it.
     */
    public synchronized void tableWrite(long offset, int size, long value) {
        for (int i = 0; i < size && offset + i < tableSize(); i++) {
            long at = offset + i;
            int index = (int) (at >>> 2);
            int shift = (int) (8 * (at & 3));
            int b = (int) (value >>> (8 * i)) & 0xff;
            int dword = (table[index] & ~(0xff << shift)) | (b << shift);
            table[index] = switch (index & 3) {
                case 0 -> dword & ~3; // message address low: DWORD aligned
                case 3 -> dword & VECTOR_MASKED; // vector control: only the mask bit is defined
                default -> dword;
            };
        }
        deliverUnmasked();
    }

    /** A read of the PBA (bytes past its end read zero); writes to it are ignored (read-only). */
    public synchronized long pbaRead(long offset, int size) {
        long v = 0;
        for (int i = 0; i < size && offset + i < pbaSize(); i++) {
            long at = offset + i;
            v |= ((pending[(int) (at >>> 3)] >>> (8 * (at & 7))) & 0xff) << (8 * i);
        }
        return v;
    }

    private void deliverUnmasked() {
        if (!enabled || functionMasked) {
            return;
        }
        for (int v = 0; v < vectors; v++) {
            if ((pending[v >>> 6] & (1L << v)) != 0 && (table[4 * v + 3] & VECTOR_MASKED) == 0) {
                pending[v >>> 6] &= ~(1L << v);
                send(v);
            }
        }
    }

    private void send(int vector) {
        if (!function.busMaster()) {
            return;
        }
        long address = (table[4 * vector] & 0xffffffffL) | ((long) table[4 * vector + 1] << 32);
        sent++;
        sink.send(address, table[4 * vector + 2]);
    }
}
