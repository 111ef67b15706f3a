package dev.corral.engine.cpu.state;

import java.lang.foreign.MemorySegment;

/**
 * The guest address space as the software CPU sees it: linear addresses, little-endian, unaligned
 * access allowed (as the hardware allows it). Part 1 puts a user-mode address space behind it; part 2
 * puts paging behind it.
 *
 * <p>Every access may throw {@link MemoryFault}; the CPU turns that into a {@code #PF} exit without
 * having changed architectural state for the faulting instruction.
 *
 * <p>Self-modifying code: the CPU calls {@link #watchCode(long)} for every page it decodes
 * instructions from, before it reads them; from then on the memory must call the listener set with
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
     * For a locked read-modify-write of the {@code size} bytes at {@code address}, which lie within one aligned
     * 8-byte word: checks them as a store would (faulting as a store would, before anything is written) and returns
     * the host memory that holds them, their offset in it in {@link #lockedOffset()}, for the CPU to update with a
     * compare-and-set there; it tells code watchers of the write as a store would (the vCPU acknowledges no
     * code-page handshake between this call and the update, so nobody decodes the page in between). Null when the bytes are not plain RAM (the CPU then reads and writes
     * through the ordinary accesses). The default, for memories that no other thread writes, is always null.
     */
    default MemorySegment lockedRam(long address, int size) {
        return null;
    }

    /** The offset of the last {@link #lockedRam} operand in the segment it returned. */
    default long lockedOffset() {
        return 0;
    }

    /**
     * The key under which writes to the code page at {@code linearPage} reach the listener: the page
     * itself for a flat memory, the physical page behind it for a paged one (so that a write through any
     * alias of the page is seen). May fault as an instruction fetch would.
     */
    /**
     * A number that changes whenever the linear-to-physical view may have changed (a TLB flush, INVLPG, a change of
     * privilege): translated code that jumps within a page it found mapped checks it. The default: never changes.
     */
    default int epoch() {
        return 0;
    }

    default long codePage(long linearPage) {
        return linearPage;
    }

    /**
     * Asks to be told of writes to the page holding {@code address}; may fault as an instruction fetch from
     * {@code address} would.
     */
    void watchCode(long address);

    void setCodeWriteListener(CodeWriteListener listener);

    @FunctionalInterface
    interface CodeWriteListener {
        /** Called with the page-aligned address of a watched page that was written. */
        void codeWritten(long pageAddress);
    }
}
