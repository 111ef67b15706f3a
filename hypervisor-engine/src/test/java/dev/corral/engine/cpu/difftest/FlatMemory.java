package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.MemoryFault;
import java.util.Arrays;

/**
 * The software CPU's view of a case, page for page what the harness maps: the code page (read and
 * execute, and write for self-modifying cases), the data page (read and write) and nothing else. A
 * write to a watched code page is reported to the CPU, as the contract asks.
 */
final class FlatMemory implements CpuMemory {

    private final byte[] code = new byte[GuestLayout.PAGE];
    private final byte[] data;
    private final boolean writableCode;
    private boolean codeWatched;
    private CodeWriteListener listener = page -> {};

    FlatMemory(byte[] codeBytes, byte[] data, boolean writableCode) {
        Arrays.fill(code, (byte) GuestLayout.INT3);
        System.arraycopy(codeBytes, 0, code, 0, codeBytes.length);
        this.data = data;
        this.writableCode = writableCode;
    }

    byte[] data() {
        return data;
    }

    private static boolean in(long address, long page) {
        return address - page >= 0 && address - page < GuestLayout.PAGE;
    }

    private byte[] readable(long address) {
        if (in(address, GuestLayout.DATA)) return data;
        if (in(address, GuestLayout.CODE)) return code;
        throw new MemoryFault(address, MemoryFault.Access.READ);
    }

    private byte[] writable(long address) {
        if (in(address, GuestLayout.DATA)) return data;
        if (writableCode && in(address, GuestLayout.CODE)) return code;
        throw new MemoryFault(address, MemoryFault.Access.WRITE);
    }

    private static int offset(long address) {
        return (int) (address & (GuestLayout.PAGE - 1));
    }

    /**
     * Checks every byte of an access from the lowest up before using any, so the fault names the first
     * byte the guest may not touch, as the hardware's CR2 does.
     */
    private long read(long address, int size) {
        for (int i = 0; i < size; i++) readable(address + i);
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = (v << 8) | (readable(address + i)[offset(address + i)] & 0xff);
        return v;
    }

    private void write(long address, int size, long value) {
        for (int i = 0; i < size; i++) writable(address + i);
        boolean touchesCode = false;
        for (int i = 0; i < size; i++) {
            writable(address + i)[offset(address + i)] = (byte) (value >>> (8 * i));
            touchesCode |= in(address + i, GuestLayout.CODE);
        }
        if (touchesCode && codeWatched) listener.codeWritten(GuestLayout.CODE);
    }

    @Override public int read8(long a) { return (int) read(a, 1); }
    @Override public int read16(long a) { return (int) read(a, 2); }
    @Override public int read32(long a) { return (int) read(a, 4); }
    @Override public long read64(long a) { return read(a, 8); }
    @Override public void write8(long a, int v) { write(a, 1, v); }
    @Override public void write16(long a, int v) { write(a, 2, v); }
    @Override public void write32(long a, int v) { write(a, 4, v); }
    @Override public void write64(long a, long v) { write(a, 8, v); }

    /** Checks write permission without the default's read-and-write-back (which would count as a code write). */
    @Override
    public void probeWrite(long address) {
        writable(address);
    }

    @Override
    public int fetch8(long address) {
        if (in(address, GuestLayout.CODE)) return code[offset(address)] & 0xff;
        throw new MemoryFault(address, MemoryFault.Access.EXECUTE);
    }

    @Override
    public void watchCode(long address) {
        if (in(address, GuestLayout.CODE)) codeWatched = true;
    }

    @Override
    public void setCodeWriteListener(CodeWriteListener listener) {
        this.listener = listener;
    }
}
