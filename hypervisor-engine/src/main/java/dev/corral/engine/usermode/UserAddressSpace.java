package dev.corral.engine.usermode;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.state.MemoryFault.Access;

/**
 * A sparse, paged 64-bit user address space: the memory of one guest process.
 *
 * <p>Regions (mmap, brk, ELF segments) say what is mapped and with which protection; pages are
 * materialized zero-filled on first touch. Three small direct-mapped TLBs (read, write, fetch) hold the
 * byte arrays of recently used pages, so the interpreter's common access is a tag compare plus a
 * VarHandle access. A page enters the write TLB only if it is writable, not shared copy-on-write and
 * not watched for code, so the fast write path needs no further check.
 *
 * <p>Not thread-safe: one process, one thread. {@link #fork()} gives the child a copy-on-write view.
 */
public final class UserAddressSpace implements CpuMemory {

    public static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    /**
     * Not a right but a mark: no access, and a touch is a bus error (SIGBUS) rather than a segmentation
     * fault. Linux gives that for the pages of a file mapping wholly past the end of the file.
     */
    public static final int PROT_BUS_ERROR = 8;
    /** Lowest address mmap hands out without a hint (as Linux's default vm.mmap_min_addr). */
    public static final long MMAP_FLOOR = 0x10000;
    /** One past the highest user address (47-bit canonical lower half). */
    public static final long USER_END = 0x8000_0000_0000L;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int TLB_BITS = 8, TLB_SIZE = 1 << TLB_BITS, TLB_MASK = TLB_SIZE - 1;
    private static final int OFFSET_MASK = PAGE_SIZE - 1;

    private final long[] readTag = new long[TLB_SIZE], writeTag = new long[TLB_SIZE], fetchTag = new long[TLB_SIZE];
    private final byte[][] readData = new byte[TLB_SIZE][], writeData = new byte[TLB_SIZE][], fetchData = new byte[TLB_SIZE][];
    private final PageMap pages;
    private final Regions regions;
    private final PageBudget budget;
    private CodeWriteListener listener = page -> { };
    private long mmapCeiling = 0x7f00_0000_0000L;

    public UserAddressSpace() {
        this(PageBudget.unlimited());
    }

    /** An empty address space whose pages count against {@code budget} (shared by all processes of a run). */
    public UserAddressSpace(PageBudget budget) {
        this(new PageMap(), new Regions(), budget);
    }

    private UserAddressSpace(PageMap pages, Regions regions, PageBudget budget) {
        this.pages = pages;
        this.regions = regions;
        this.budget = budget;
        flushTlb();
    }

    // ---- the interpreter's path ----

    @Override
    public int read8(long address) {
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        byte[] d = readTag[i] == vpn ? readData[i] : readMiss(address);
        return d[(int) address & OFFSET_MASK] & 0xff;
    }

    @Override
    public int read16(long address) {
        int off = (int) address & OFFSET_MASK;
        if (off > PAGE_SIZE - 2) {
            return read8(address) | read8(address + 1) << 8;
        }
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        byte[] d = readTag[i] == vpn ? readData[i] : readMiss(address);
        return (short) SHORT.get(d, off) & 0xffff;
    }

    @Override
    public int read32(long address) {
        int off = (int) address & OFFSET_MASK;
        if (off > PAGE_SIZE - 4) {
            return read16(address) | read16(address + 2) << 16;
        }
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        byte[] d = readTag[i] == vpn ? readData[i] : readMiss(address);
        return (int) INT.get(d, off);
    }

    @Override
    public long read64(long address) {
        int off = (int) address & OFFSET_MASK;
        if (off > PAGE_SIZE - 8) {
            // Check both pages before combining so a fault names the first unreadable byte.
            return read32(address) & 0xffff_ffffL | (long) read32(address + 4) << 32;
        }
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        byte[] d = readTag[i] == vpn ? readData[i] : readMiss(address);
        return (long) LONG.get(d, off);
    }

    @Override
    public void write8(long address, int value) {
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        if (writeTag[i] == vpn) {
            writeData[i][(int) address & OFFSET_MASK] = (byte) value;
        } else {
            writeMiss(address)[(int) address & OFFSET_MASK] = (byte) value;
            wroteWatched(address);
        }
    }

    @Override
    public void write16(long address, int value) {
        int off = (int) address & OFFSET_MASK;
        if (off > PAGE_SIZE - 2) {
            checkWritable(address + 1);
            write8(address, value);
            write8(address + 1, value >>> 8);
            return;
        }
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        if (writeTag[i] == vpn) {
            SHORT.set(writeData[i], off, (short) value);
        } else {
            SHORT.set(writeMiss(address), off, (short) value);
            wroteWatched(address);
        }
    }

    @Override
    public void write32(long address, int value) {
        int off = (int) address & OFFSET_MASK;
        if (off > PAGE_SIZE - 4) {
            checkWritable(address + 3);
            write16(address, value);
            write16(address + 2, value >>> 16);
            return;
        }
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        if (writeTag[i] == vpn) {
            INT.set(writeData[i], off, value);
        } else {
            INT.set(writeMiss(address), off, value);
            wroteWatched(address);
        }
    }

    @Override
    public void write64(long address, long value) {
        int off = (int) address & OFFSET_MASK;
        if (off > PAGE_SIZE - 8) {
            // Nothing may be committed if the second page faults: check it first.
            checkWritable(address + 7);
            write32(address, (int) value);
            write32(address + 4, (int) (value >>> 32));
            return;
        }
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        if (writeTag[i] == vpn) {
            LONG.set(writeData[i], off, value);
        } else {
            LONG.set(writeMiss(address), off, value);
            wroteWatched(address);
        }
    }

    @Override
    public int fetch8(long address) {
        long vpn = address >>> 12;
        int i = (int) vpn & TLB_MASK;
        byte[] d = fetchTag[i] == vpn ? fetchData[i] : fetchMiss(address);
        return d[(int) address & OFFSET_MASK] & 0xff;
    }

    @Override
    public void watchCode(long address) {
        Page p = page(address, Access.EXECUTE);
        if (!p.watched) {
            p.watched = true;
            int i = (int) (address >>> 12) & TLB_MASK;
            if (writeTag[i] == address >>> 12) {
                writeTag[i] = -1;
                writeData[i] = null;
            }
        }
    }

    @Override
    public void setCodeWriteListener(CodeWriteListener listener) {
        this.listener = listener == null ? page -> { } : listener;
    }

    // ---- TLB misses ----

    private byte[] readMiss(long address) {
        Page p = page(address, Access.READ);
        if ((p.prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0) {
            throw new MemoryFault(address, Access.READ);
        }
        int i = (int) (address >>> 12) & TLB_MASK;
        readTag[i] = address >>> 12;
        readData[i] = p.data;
        return p.data;
    }

    private byte[] fetchMiss(long address) {
        Page p = page(address, Access.EXECUTE);
        if ((p.prot & PROT_EXEC) == 0) {
            throw new MemoryFault(address, Access.EXECUTE);
        }
        int i = (int) (address >>> 12) & TLB_MASK;
        fetchTag[i] = address >>> 12;
        fetchData[i] = p.data;
        return p.data;
    }

    /**
     * The array to write into: copies a shared page first. A watched page is returned without entering
     * the TLB; the caller then reports the write through {@link #wroteWatched}.
     */
    private byte[] writeMiss(long address) {
        Page p = writablePage(address);
        if (!p.watched) {
            int i = (int) (address >>> 12) & TLB_MASK;
            writeTag[i] = address >>> 12;
            writeData[i] = p.data;
        }
        return p.data;
    }

    private Page writablePage(long address) {
        Page p = page(address, Access.WRITE);
        if ((p.prot & PROT_WRITE) == 0) {
            throw new MemoryFault(address, Access.WRITE);
        }
        unshare(p, address);
        return p;
    }

    private void unshare(Page p, long address) {
        if (p.sharers != null) {
            // Copy before leaving the group: the moment we leave, the last holder may write the shared array (its
            // process runs on another thread), so a copy taken after leaving could catch that holder's writes.
            byte[] copy = p.data.clone();
            if (!p.leaveShare()) {
                // Someone else still reads this array: write into the copy of our own.
                budget.take();
                p.data = copy;
            }
            // Else every other holder left, each after its own copy was complete: the array is ours to write.
            // Read and fetch TLBs may still point at the old array.
            int i = (int) (address >>> 12) & TLB_MASK;
            readTag[i] = -1;
            readData[i] = null;
            fetchTag[i] = -1;
            fetchData[i] = null;
        }
    }

    /** A permission check only: unlike the default, it writes nothing, so it neither races nor reports code writes. */
    @Override
    public void probeWrite(long address) {
        checkWritable(address);
    }

    private void checkWritable(long address) {
        writablePage(address);
    }

    private void wroteWatched(long address) {
        Page p = pages.get(address >>> 12);
        if (p != null && p.watched) {
            listener.codeWritten(address & ~(long) OFFSET_MASK);
        }
    }

    /** The page holding {@code address}, materialized if its region is mapped. */
    private Page page(long address, Access access) {
        long vpn = address >>> 12;
        Page p = pages.get(vpn);
        if (p == null) {
            int prot = address >= 0 && address < USER_END ? regions.protAt(address) : -1;
            if (prot < 0) {
                throw new MemoryFault(address, access);
            }
            budget.take();
            p = new Page(new byte[PAGE_SIZE], prot, null);
            pages.put(vpn, p);
        }
        return p;
    }

    private void flushTlb() {
        Arrays.fill(readTag, -1);
        Arrays.fill(writeTag, -1);
        Arrays.fill(fetchTag, -1);
        Arrays.fill(readData, null);
        Arrays.fill(writeData, null);
        Arrays.fill(fetchData, null);
    }

    // ---- mapping (mmap, munmap, mprotect, the loader) ----

    /** Maps {@code [start, start+length)} (page-rounded) zero-filled, replacing whatever was there. */
    public void map(long start, long length, int prot) {
        long end = pageUp(start + length);
        checkRange(start, end);
        unmap(start, end - start);
        regions.map(start, end, prot);
    }

    public void unmap(long start, long length) {
        long end = pageUp(start + length);
        checkRange(start, end);
        regions.unmap(start, end);
        forEachPage(start, end, this::drop);
        flushTlb();
    }

    /**
     * Calls {@code action} for each materialized page in {@code [start, end)}, walking whichever is
     * smaller: the range or the page map (a range may span terabytes).
     */
    private void forEachPage(long start, long end, java.util.function.LongConsumer action) {
        if ((end - start) >>> 12 < pages.size()) {
            for (long a = start; a < end; a += PAGE_SIZE) {
                if (pages.get(a >>> 12) != null) {
                    action.accept(a >>> 12);
                }
            }
        } else {
            pages.forEachKey(vpn -> {
                if (vpn >= start >>> 12 && vpn < end >>> 12) {
                    action.accept(vpn);
                }
            });
        }
    }

    private void drop(long vpn) {
        Page p = pages.get(vpn);
        if (p != null) {
            pages.remove(vpn);
            if (p.sharers == null || p.leaveShare()) { // the array's last holder gives it back
                budget.give(1);
            }
        }
    }

    /** Gives every page back to the budget: the process exited or replaced its image. */
    public void release() {
        unmap(0, USER_END);
    }

    /** Changes the protection of a mapped range; false (nothing changed) if part of it is unmapped. */
    public boolean protect(long start, long length, int prot) {
        long end = pageUp(start + length);
        checkRange(start, end);
        if (!regions.covers(start, end)) {
            return false;
        }
        regions.unmap(start, end);
        regions.map(start, end, prot);
        forEachPage(start, end, vpn -> pages.get(vpn).prot = prot);
        flushTlb();
        return true;
    }

    /** Protection of the region holding {@code address}, or -1 if unmapped. */
    public int protectionAt(long address) {
        return address >= 0 && address < USER_END ? regions.protAt(address) : -1;
    }

    public boolean isMapped(long start, long length) {
        return start >= 0 && start + length <= USER_END && regions.covers(start, pageUp(start + length));
    }

    /**
     * A free range of {@code length} bytes for mmap: at {@code hint} if that is free, else the highest
     * free range below the mmap ceiling; -1 if none.
     */
    public long findFree(long hint, long length) {
        long len = pageUp(length);
        if (hint != 0 && (hint & OFFSET_MASK) == 0 && hint >= MMAP_FLOOR && hint + len <= USER_END
                && regions.findFree(len, hint, hint + len) == hint) {
            return hint;
        }
        return regions.findFree(len, MMAP_FLOOR, mmapCeiling);
    }

    /** Where anonymous mappings go from now on (below the stack). */
    public void setMmapCeiling(long ceiling) {
        this.mmapCeiling = ceiling;
    }

    // ---- bulk access for the syscall layer and the loader ----

    public void read(long address, byte[] dst, int offset, int length) {
        for (int n = 0; n < length; ) {
            long a = address + n;
            int off = (int) a & OFFSET_MASK;
            int chunk = Math.min(length - n, PAGE_SIZE - off);
            long vpn = a >>> 12;
            int i = (int) vpn & TLB_MASK;
            byte[] d = readTag[i] == vpn ? readData[i] : readMiss(a);
            System.arraycopy(d, off, dst, offset + n, chunk);
            n += chunk;
        }
    }

    /** Writes as the guest would (needs write permission); all pages are checked before any byte changes. */
    public void write(long address, byte[] src, int offset, int length) {
        for (long a = address & ~(long) OFFSET_MASK; a < address + length; a += PAGE_SIZE) {
            writablePage(a);
        }
        copyIn(address, src, offset, length);
    }

    /** Writes regardless of protection (the loader filling read-only segments). */
    public void poke(long address, byte[] src, int offset, int length) {
        copyIn(address, src, offset, length);
    }

    private void copyIn(long address, byte[] src, int offset, int length) {
        for (int n = 0; n < length; ) {
            long a = address + n;
            int off = (int) a & OFFSET_MASK;
            int chunk = Math.min(length - n, PAGE_SIZE - off);
            Page p = page(a, Access.WRITE);
            unshare(p, a);
            System.arraycopy(src, offset + n, p.data, off, chunk);
            if (p.watched) {
                listener.codeWritten(a & ~(long) OFFSET_MASK);
            }
            n += chunk;
        }
    }

    public byte[] read(long address, int length) {
        byte[] b = new byte[length];
        read(address, b, 0, length);
        return b;
    }

    /** A NUL-terminated string of at most {@code max} bytes (without the NUL). */
    public byte[] readCString(long address, int max) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int n = 0; n < max; n++) {
            int b = read8(address + n);
            if (b == 0) {
                return out.toByteArray();
            }
            out.write(b);
        }
        throw new MemoryFault(address + max, Access.READ);
    }

    // ---- fork ----

    /** A copy-on-write copy: the child sees the same bytes; later writes on either side stay private. */
    public UserAddressSpace fork() {
        PageMap childPages = new PageMap();
        pages.forEachKey(vpn -> {
            Page p = pages.get(vpn);
            if (p.sharers == null) {
                p.sharers = new AtomicInteger(1);
            }
            p.sharers.incrementAndGet();
            childPages.put(vpn, new Page(p.data, p.prot, p.sharers));
        });
        flushTlb();
        UserAddressSpace child = new UserAddressSpace(childPages, regions.copy(), budget);
        child.mmapCeiling = mmapCeiling;
        return child;
    }

    public static long pageUp(long address) {
        return (address + OFFSET_MASK) & ~(long) OFFSET_MASK;
    }

    private static void checkRange(long start, long end) {
        if ((start & OFFSET_MASK) != 0 || start < 0 || end > USER_END || end < start) {
            throw new IllegalArgumentException("range 0x" + Long.toHexString(start) + "..0x" + Long.toHexString(end)
                    + " is not page-aligned user space");
        }
    }
}
