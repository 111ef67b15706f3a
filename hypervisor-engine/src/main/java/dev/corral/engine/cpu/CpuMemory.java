package dev.corral.engine.cpu;

/**
 * The guest address space as the software CPU sees it: linear addresses, little-endian, unaligned
 * access allowed (as the hardware allows it). Part 1 puts a user-mode address space behind it; part 2
 * puts paging behind it.
 *
 * <p>Every access may throw {@link MemoryFault}; the CPU turns that into a {@code #PF} exit without
 * having changed architectural state for the faulting instruction.
 *
 * <p>Self-modifying code: the CPU calls {@link #watchCode(long)} for every page it decodes
 * instructions from; from then on the memory must call the listener set with
 * {@link #setCodeWriteListener(CodeWriteListener)} whenever a byte in that page changes (by the CPU or
 * anyone else), so that decoded blocks from that page are dropped before they run again.
 */
public interface CpuMemory {

    int PAGE_SIZE = 4096;

    int read8(long address);

    int read16(long address);

    int read32(long address);

    long read64(long address);

    void write8(long address, int value);

    void write16(long address, int value);

    void write32(long address, int value);

    void write64(long address, long value);

    /** Reads one instruction byte: like {@link #read8} but checks execute permission. */
    int fetch8(long address);

    /**
     * Faults as a one-byte write to {@code address} would, leaving memory as it is. The CPU calls it on
     * every page of a store made of several writes (a 16-byte MOVDQU, an m80, FXSAVE...) before making the
     * first write, so that a fault on a later page commits nothing of the instruction.
     *
     * <p>The default reads the byte and writes it back; a memory that can check permissions directly
     * should override it, since the write-back could undo another thread's write to that byte.
     */
    default void probeWrite(long address) {
        int v;
        try {
            v = read8(address);
        } catch (MemoryFault f) {
            throw new MemoryFault(f.address(), MemoryFault.Access.WRITE); // the store is what faults
        }
        write8(address, v);
    }

    /**
     * The key under which writes to the code page at {@code linearPage} reach the listener: the page
     * itself for a flat memory, the physical page behind it for a paged one (so that a write through any
     * alias of the page is seen). May fault as an instruction fetch would.
     */
    default long codePage(long linearPage) {
        return linearPage;
    }

    /** Asks to be told of writes to the page holding {@code address}. */
    void watchCode(long address);

    void setCodeWriteListener(CodeWriteListener listener);

    @FunctionalInterface
    interface CodeWriteListener {
        /** Called with the page-aligned address of a watched page that was written. */
        void codeWritten(long pageAddress);
    }
}
