package dev.corral.engine.cpu;

import java.util.HashSet;
import java.util.Set;

import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.MemoryFault;

/**
 * Test memory: one flat, readable, writable, executable range at {@code base}; everything else faults.
 * Implements the code-watch contract so the block cache can be tested against it.
 */
final class FlatMemory implements CpuMemory {

    final long base;
    final byte[] bytes;
    private final Set<Long> watched = new HashSet<>();
    private CodeWriteListener listener = p -> { };
    /** Bytes below this offset are read-only (for fault tests); 0 means all writable. */
    long readOnlyBelow;

    FlatMemory(long base, int size) {
        this.base = base;
        this.bytes = new byte[size];
    }

    private int off(long a, int n, MemoryFault.Access access) {
        long o = a - base;
        if (o < 0 || o > bytes.length - n) {
            throw new MemoryFault(o < 0 || o >= bytes.length ? a : base + bytes.length, access);
        }
        if (access == MemoryFault.Access.WRITE && o < readOnlyBelow) {
            throw new MemoryFault(a, access);
        }
        return (int) o;
    }

    private long get(long a, int n) {
        int o = off(a, n, MemoryFault.Access.READ);
        long v = 0;
        for (int k = n - 1; k >= 0; k--) {
            v = (v << 8) | (bytes[o + k] & 0xff);
        }
        return v;
    }

    private void put(long a, int n, long v) {
        int o = off(a, n, MemoryFault.Access.WRITE);
        for (int k = 0; k < n; k++) {
            bytes[o + k] = (byte) (v >>> (8 * k));
        }
        long first = a & -PAGE_SIZE;
        long last = (a + n - 1) & -PAGE_SIZE;
        for (long p = first; p <= last; p += PAGE_SIZE) {
            if (watched.contains(p)) {
                listener.codeWritten(p);
            }
        }
    }

    @Override public void probeWrite(long a) { off(a, 1, MemoryFault.Access.WRITE); }
    @Override public int read8(long a) { return (int) get(a, 1); }
    @Override public int read16(long a) { return (int) get(a, 2); }
    @Override public int read32(long a) { return (int) get(a, 4); }
    @Override public long read64(long a) { return get(a, 8); }
    @Override public void write8(long a, int v) { put(a, 1, v); }
    @Override public void write16(long a, int v) { put(a, 2, v); }
    @Override public void write32(long a, int v) { put(a, 4, v); }
    @Override public void write64(long a, long v) { put(a, 8, v); }

    @Override
    public int fetch8(long a) {
        return bytes[off(a, 1, MemoryFault.Access.EXECUTE)] & 0xff;
    }

    @Override
    public void watchCode(long a) {
        watched.add(a & -PAGE_SIZE);
    }

    @Override
    public void setCodeWriteListener(CodeWriteListener l) {
        listener = l;
    }

    void load(long a, int... code) {
        long saved = readOnlyBelow;
        readOnlyBelow = 0;
        for (int k = 0; k < code.length; k++) {
            put(a + k, 1, code[k]); // through put, so cached blocks of rewritten code are dropped
        }
        readOnlyBelow = saved;
    }
}
