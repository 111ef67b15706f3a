package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.CpuMemory;
import dev.corral.engine.cpu.MemoryFault;

/**
 * The software CPU's view of a case, page for page what the harness maps: the code page (read and
 * execute), the data page (read and write) and nothing else.
 */
final class FlatMemory implements CpuMemory {

    private final byte[] code = new byte[GuestLayout.PAGE];
    private final byte[] data;

    FlatMemory(byte[] codeBytes, byte[] data) {
        java.util.Arrays.fill(code, (byte) GuestLayout.INT3);
        System.arraycopy(codeBytes, 0, code, 0, codeBytes.length);
        this.data = data;
    }

    byte[] data() {
        return data;
    }

    private byte[] readable(long address) {
        if (address - GuestLayout.DATA >= 0 && address - GuestLayout.DATA < GuestLayout.PAGE) return data;
        if (address - GuestLayout.CODE >= 0 && address - GuestLayout.CODE < GuestLayout.PAGE) return code;
        throw new MemoryFault(address, MemoryFault.Access.READ);
    }

    private int offset(long address) {
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
        for (int i = 0; i < size; i++) {
            long a = address + i;
            if (a - GuestLayout.DATA < 0 || a - GuestLayout.DATA >= GuestLayout.PAGE) {
                throw new MemoryFault(a, MemoryFault.Access.WRITE);
            }
        }
        for (int i = 0; i < size; i++) data[offset(address + i)] = (byte) (value >>> (8 * i));
    }

    @Override public int read8(long a) { return (int) read(a, 1); }
    @Override public int read16(long a) { return (int) read(a, 2); }
    @Override public int read32(long a) { return (int) read(a, 4); }
    @Override public long read64(long a) { return read(a, 8); }
    @Override public void write8(long a, int v) { write(a, 1, v); }
    @Override public void write16(long a, int v) { write(a, 2, v); }
    @Override public void write32(long a, int v) { write(a, 4, v); }
    @Override public void write64(long a, long v) { write(a, 8, v); }

    @Override
    public int fetch8(long address) {
        if (address - GuestLayout.CODE >= 0 && address - GuestLayout.CODE < GuestLayout.PAGE) {
            return code[offset(address)] & 0xff;
        }
        throw new MemoryFault(address, MemoryFault.Access.EXECUTE);
    }

    @Override
    public void watchCode(long address) {
        // The code page is never written (it is read-only for the guest), so there is nothing to watch.
    }

    @Override
    public void setCodeWriteListener(CodeWriteListener listener) {
        // No write can reach the code page, so the listener would never be called.
    }
}
