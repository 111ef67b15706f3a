package dev.corral.engine.cpu.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.memory.GuestMemory;

/**
 * Linear addresses of a system CPU, translated by the guest's own 4-level page tables (CR3, 4 KiB, 2 MiB
 * and 1 GiB pages) onto guest RAM; physical addresses outside RAM go to the {@link MmioHandler}. Outside long
 * mode, CR0.PG clear makes linear addresses physical and {@link LegacyPaging} walks PAE or 32-bit tables.
 *
 * <p>The walk follows the manual: P, R/W, U/S at every level, NX with EFER.NXE, CR0.WP for supervisor
 * writes; it sets the accessed bit of every entry it uses and the dirty bit of the leaf on a write, as
 * the hardware does. A page-table entry that is not in RAM reads as not present. A #PF carries its error
 * code (P, W, U, I) in the {@link MemoryFault}; reserved bits are not checked (never RSVD).
 *
 * <p>Three small direct-mapped TLBs (read, write, fetch) hold translations; the tag carries the
 * user/supervisor mode, so a CPL change needs no flush. A write TLB entry exists only once the leaf's
 * dirty bit is set. Like the hardware, the TLB is not coherent with page-table writes: the guest flushes
 * with a CR3 write (which keeps global pages, G with CR4.PGE: the kernel's, across its address-space switches),
 * INVLPG (every entry of the page, of whatever size, holding the address) or a CR0/CR4 write (everything). Accesses that straddle two pages translate each page and
 * check both before a store writes anything.
 *
 * <p>Self-modifying code is watched by physical page in the VM's registry ({@link CodePages}, shared by all its
 * vCPUs), so a write through any mapping of a page, by any vCPU, drops the blocks decoded from it: a watched page
 * never gets a fast write entry, and its first write notifies this vCPU's listener and the other vCPUs and
 * unwatches it until code is decoded from it again. Writes that bypass the CPU (device DMA straight into
 * {@link GuestMemory}) are not seen; {@link #physicalWritten} is for those.
 *
 * <p>Memory order (x86-TSO among the vCPUs of a VM): guest loads are followed by an acquire fence and guest stores
 * preceded by a release fence, so the JIT keeps loads before later loads and stores and stores after earlier
 * stores, as TSO requires (on an x86 host these fences cost no instruction). Page-table accessed and dirty bits are
 * set with a compare-and-set on the entry, as the hardware's locked update, so they never undo another vCPU's
 * change to it. Around an MMIO access the vCPU counts as quiescent ({@link VcpuLink#pause}): a device that blocks
 * does not hold up the other vCPUs' code-page handshakes.
 */
public final class PagedMemory implements CpuMemory {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** #PF error code bits. */
    public static final int ERR_P = 1, ERR_W = 2, ERR_U = 4, ERR_I = 16;

    private static final long PTE_P = 1, PTE_RW = 2, PTE_US = 4, PTE_A = 0x20, PTE_D = 0x40, PTE_PS = 0x80, PTE_G = 0x100,
            PTE_NX = 1L << 63;
    private static final long ADDR_4K = 0x000ffffffffff000L, ADDR_2M = 0x000fffffffe00000L,
            ADDR_1G = 0x000fffffc0000000L;
    static final int READ = 0, WRITE = 1, EXEC = 2;
    private static final int TLB_BITS = 10, TLB_SIZE = 1 << TLB_BITS, TLB_MASK = TLB_SIZE - 1;
    private static final long PAGE_MASK = ~0xfffL;
    /**
     * All of the host's memory, for the TLB's fast paths: a TLB entry holds the host address of a RAM page, and an
     * access through it is an offset within that page (checked against the page's end first). A constant segment of
     * the global scope costs no liveness or bounds check per access, which the pages' own segments would. Safe
     * because guest RAM is unmapped only after every vCPU thread has ended ({@link
     * dev.corral.engine.vm.VirtualMachine#close}), and each PagedMemory is used by its vCPU's thread alone.
     */
    private static final MemorySegment RAW = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /**
     * One direct-mapped TLB: the tag is the linear page | 2 | user; {@code host} is the page's address in the host, 0
     * for MMIO and watched pages;
     * {@code global} marks translations of global pages (G set in the leaf while CR4.PGE is on).
     */
    private static final class Tlb {
        final long[] tag = new long[TLB_SIZE];
        final long[] phys = new long[TLB_SIZE];
        final long[] host = new long[TLB_SIZE];
        final boolean[] global = new boolean[TLB_SIZE];
        /** The offset bits of the page a translation came from: 4 KiB, 2 MiB or 1 GiB less one. */
        final long[] span = new long[TLB_SIZE];

        Tlb() {
            Arrays.fill(tag, -1);
        }

        void flush() {
            Arrays.fill(tag, -1);
        }

        void flushNonGlobal() {
            for (int k = 0; k < TLB_SIZE; k++) {
                if (!global[k]) {
                    tag[k] = -1;
                }
            }
        }

        /** Drops the translations that came from the page (of any size) holding {@code linear}. */
        void dropPageOf(long linear) {
            for (int k = 0; k < TLB_SIZE; k++) {
                if (tag[k] != -1 && (((tag[k] ^ linear) & PAGE_MASK & ~span[k]) == 0)) {
                    tag[k] = -1;
                }
            }
        }
    }

    private final CpuState s;
    private final MmioHandler mmio;
    private static final VarHandle ENTRY = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final long[] ramStart;
    private final long[] ramEnd;
    private final MemorySegment[] ramHost;
    private final CodePages codes;
    private final VcpuLink link;
    private CodeWriteListener listener = p -> { };
    private long lockedOffset;
    private final Tlb r = new Tlb();
    private final Tlb w = new Tlb();
    private final Tlb x = new Tlb();
    /** The low bits of every tag: 2, plus 1 in user mode (CPL3). */
    private long mode = 2;
    /** Some TLB entry came from a 2 MiB or 1 GiB page: INVLPG then looks at every entry. */
    private boolean anyLarge;
    /**
     * Counts the changes to this vCPU's linear-to-physical view (TLB flushes, INVLPG, a change of privilege): a code
     * block found mapped in the current epoch is still mapped (see {@link Block#mappedEpoch}).
     */
    public int epoch;
    /** Some TLB entry may be global: a CR3 write keeps those. */
    private boolean anyGlobal;
    /** Whether the last {@link #walk} ended at a global leaf (G set, CR4.PGE on). */
    private boolean walkGlobal;
    /** The offset bits of the page the last {@link #walk} ended at (a large one: set by {@link LegacyPaging} too). */
    long walkSpan;
    private final long[] walkAddr = new long[4];
    private final long[] walkEntry = new long[4];

    /** The memory of the vCPU at {@code link} in a VM whose code pages {@code codes} keeps. */
    public PagedMemory(GuestMemory ram, MmioHandler mmio, CpuState state, CodePages codes, VcpuLink link) {
        this.s = state;
        this.mmio = mmio;
        this.codes = codes;
        this.link = link;
        var regions = ram.regions();
        int n = regions.size();
        ramStart = new long[n];
        ramEnd = new long[n];
        ramHost = new MemorySegment[n];
        for (int k = 0; k < n; k++) {
            var reg = regions.get(k);
            ramStart[k] = reg.guestAddress();
            ramEnd[k] = reg.guestAddress() + reg.size();
            ramHost[k] = reg.host();
        }
    }

    // ---- mode and TLB control (the CPU calls these) ----

    @Override
    public int epoch() {
        return epoch;
    }

    /** Accesses from now on are user-mode (CPL3) ones or supervisor ones. */
    public void setUser(boolean user) {
        long m = user ? 3 : 2;
        if (m != mode) {
            mode = m;
            epoch++;
        }
    }

    public boolean user() {
        return (mode & 1) != 0;
    }

    /** Drops every translation (CR0 and CR4 writes, INIT). */
    public void flush() {
        epoch++;
        r.flush();
        w.flush();
        x.flush();
        anyLarge = false;
        anyGlobal = false;
    }

    /**
     * A CR3 write: drops every translation but those of global pages (the kernel's, which Linux maps global in every
     * address space). CR4.PGE off means no entry is global. INVLPG and a CR4 write still drop global entries.
     */
    public void flushNonGlobal() {
        if (!anyGlobal) {
            flush();
            return;
        }
        epoch++;
        r.flushNonGlobal();
        w.flushNonGlobal();
        x.flushNonGlobal();
    }

    /** INVLPG: drops the translations of the page holding {@code linear}. */
    public void invalidate(long linear) {
        epoch++;
        if (anyLarge) { // a large page sits in many 4 KiB entries, at any index
            r.dropPageOf(linear);
            w.dropPageOf(linear);
            x.dropPageOf(linear);
            return;
        }
        int k = (int) (linear >>> 12) & TLB_MASK;
        long page = linear & PAGE_MASK;
        drop(r, k, page);
        drop(w, k, page);
        drop(x, k, page);
    }

    private static void drop(Tlb t, int k, long page) {
        if ((t.tag[k] & PAGE_MASK) == page) {
            t.tag[k] = -1;
        }
    }

    // ---- CpuMemory ----

    @Override
    public int read8(long a) {
        int k = (int) (a >>> 12) & TLB_MASK;
        if (r.tag[k] == ((a & PAGE_MASK) | mode)) {
            long p = r.host[k];
            if (p != 0) {
                int v = RAW.get(ValueLayout.JAVA_BYTE, p + (a & 0xfff)) & 0xff;
                VarHandle.acquireFence(); // TSO: this load stays before later loads and stores
                return v;
            }
        }
        return (int) slowRead(a, 1);
    }

    @Override
    public int read16(long a) {
        int k = (int) (a >>> 12) & TLB_MASK;
        long off = a & 0xfff;
        if (r.tag[k] == ((a & PAGE_MASK) | mode) && off <= 0xffe) {
            long p = r.host[k];
            if (p != 0) {
                int v = RAW.get(SHORT, p + off) & 0xffff;
                VarHandle.acquireFence(); // TSO: this load stays before later loads and stores
                return v;
            }
        }
        return (int) slowRead(a, 2);
    }

    @Override
    public int read32(long a) {
        int k = (int) (a >>> 12) & TLB_MASK;
        long off = a & 0xfff;
        if (r.tag[k] == ((a & PAGE_MASK) | mode) && off <= 0xffc) {
            long p = r.host[k];
            if (p != 0) {
                int v = RAW.get(INT, p + off);
                VarHandle.acquireFence(); // TSO: this load stays before later loads and stores
                return v;
            }
        }
        return (int) slowRead(a, 4);
    }

    @Override
    public long read64(long a) {
        int k = (int) (a >>> 12) & TLB_MASK;
        long off = a & 0xfff;
        if (r.tag[k] == ((a & PAGE_MASK) | mode) && off <= 0xff8) {
            long p = r.host[k];
            if (p != 0) {
                long v = RAW.get(LONG, p + off);
                VarHandle.acquireFence(); // TSO: this load stays before later loads and stores
                return v;
            }
        }
        return slowRead(a, 8);
    }

    @Override
    public void write8(long a, int v) {
        int k = (int) (a >>> 12) & TLB_MASK;
        if (w.tag[k] == ((a & PAGE_MASK) | mode)) {
            long p = w.host[k];
            if (p != 0) {
                VarHandle.releaseFence(); // TSO: earlier loads and stores stay before this store
                RAW.set(ValueLayout.JAVA_BYTE, p + (a & 0xfff), (byte) v);
                return;
            }
        }
        slowWrite(a, 1, v);
    }

    @Override
    public void write16(long a, int v) {
        int k = (int) (a >>> 12) & TLB_MASK;
        long off = a & 0xfff;
        if (w.tag[k] == ((a & PAGE_MASK) | mode) && off <= 0xffe) {
            long p = w.host[k];
            if (p != 0) {
                VarHandle.releaseFence(); // TSO: earlier loads and stores stay before this store
                RAW.set(SHORT, p + off, (short) v);
                return;
            }
        }
        slowWrite(a, 2, v);
    }

    @Override
    public void write32(long a, int v) {
        int k = (int) (a >>> 12) & TLB_MASK;
        long off = a & 0xfff;
        if (w.tag[k] == ((a & PAGE_MASK) | mode) && off <= 0xffc) {
            long p = w.host[k];
            if (p != 0) {
                VarHandle.releaseFence(); // TSO: earlier loads and stores stay before this store
                RAW.set(INT, p + off, v);
                return;
            }
        }
        slowWrite(a, 4, v & 0xffffffffL);
    }

    @Override
    public void write64(long a, long v) {
        int k = (int) (a >>> 12) & TLB_MASK;
        long off = a & 0xfff;
        if (w.tag[k] == ((a & PAGE_MASK) | mode) && off <= 0xff8) {
            long p = w.host[k];
            if (p != 0) {
                VarHandle.releaseFence(); // TSO: earlier loads and stores stay before this store
                RAW.set(LONG, p + off, v);
                return;
            }
        }
        slowWrite(a, 8, v);
    }

    @Override
    public int fetch8(long a) {
        int k = (int) (a >>> 12) & TLB_MASK;
        if (x.tag[k] == ((a & PAGE_MASK) | mode)) {
            long p = x.host[k];
            if (p != 0) {
                return RAW.get(ValueLayout.JAVA_BYTE, p + (a & 0xfff)) & 0xff; // code bytes: ordered by the page's watch
            }
        }
        return (int) physRead(translate(a, EXEC), 1);
    }

    @Override
    public void probeWrite(long a) {
        translate(a, WRITE);
    }

    @Override
    public void watchCode(long address) {
        long pa = translate(address, EXEC) & PAGE_MASK;
        if (!isRam(pa)) {
            return; // code in MMIO space (a ROM): nothing writes it through us
        }
        // Returns once no vCPU, this one included, holds a fast write entry to the page.
        codes.watch(pa, link);
    }

    /** Drops the fast write entries to pages that are now watched (a vCPU catching up with the registry). */
    void dropWritesToWatchedPages() {
        for (int k = 0; k < TLB_SIZE; k++) {
            if (w.tag[k] != -1 && w.host[k] != 0 && codes.isWatched(w.phys[k])) {
                w.tag[k] = -1; // refilled as a slow entry, so that the next write notifies
            }
        }
    }

    @Override
    public MemorySegment lockedRam(long a, int size) {
        long pa = translate(a, WRITE); // the operand lies in one aligned word, so in one page
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa < ramEnd[k]) {
                notifyIfWatched(pa & PAGE_MASK); // before the write, which bypasses this class: see CpuMemory
                lockedOffset = pa - ramStart[k];
                return ramHost[k];
            }
        }
        return null;
    }

    @Override
    public long lockedOffset() {
        return lockedOffset;
    }

    /** The physical page behind a linear code page: the key of decoded blocks and of write notifications. */
    @Override
    public long codePage(long linearPage) {
        return translate(linearPage & PAGE_MASK, EXEC) & PAGE_MASK;
    }

    /** {@link #codePage}, or -1 when fetching from that page would fault. */
    public long peekCodePage(long linearPage) {
        try {
            return codePage(linearPage);
        } catch (MemoryFault | GuestFault e) {
            return -1; // the instruction that reaches into it faults when it runs, not this lookup
        }
    }

    @Override
    public void setCodeWriteListener(CodeWriteListener listener) {
        this.listener = listener;
    }

    /**
     * Tells the CPUs that something other than themselves (a device's DMA) wrote guest RAM, so that code decoded
     * from those bytes is dropped (by every vCPU of the VM, at its next block boundary). Any thread; the same as
     * {@link CpuGroup#deviceWrote}.
     */
    public void physicalWritten(long physicalAddress, long length) {
        codes.deviceWrote(physicalAddress, length);
    }

    // ---- slow paths ----

    private long slowRead(long a, int size) {
        if ((a & 0xfff) + size > PAGE_SIZE) {
            long v = 0;
            for (int k = 0; k < size; k++) {
                v |= (long) read8(a + k) << (8 * k);
            }
            return v;
        }
        return physRead(translate(a, READ), size);
    }

    private void slowWrite(long a, int size, long v) {
        if ((a & 0xfff) + size > PAGE_SIZE) {
            translate(a, WRITE);
            translate(a + size - 1, WRITE); // both pages are writable before a byte is written
            for (int k = 0; k < size; k++) {
                physWrite(translate(a + k, WRITE), 1, v >>> (8 * k));
            }
            return;
        }
        physWrite(translate(a, WRITE), size, v);
    }

    private boolean isRam(long pa) {
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa < ramEnd[k]) {
                return true;
            }
        }
        return false;
    }

    /** A physical read that lies in one page: RAM or MMIO. */
    private long physRead(long pa, int size) {
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa < ramEnd[k]) {
                long off = pa - ramStart[k];
                MemorySegment h = ramHost[k];
                long v = switch (size) {
                    case 1 -> h.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
                    case 2 -> h.get(SHORT, off) & 0xffffL;
                    case 4 -> h.get(INT, off) & 0xffffffffL;
                    default -> h.get(LONG, off);
                };
                VarHandle.acquireFence();
                return v;
            }
        }
        long v;
        link.pause();
        try {
            v = mmio.read(pa, size);
        } finally {
            link.resume();
        }
        return size == 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    private void physWrite(long pa, int size, long v) {
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa < ramEnd[k]) {
                long off = pa - ramStart[k];
                MemorySegment h = ramHost[k];
                VarHandle.releaseFence();
                switch (size) {
                    case 1 -> h.set(ValueLayout.JAVA_BYTE, off, (byte) v);
                    case 2 -> h.set(SHORT, off, (short) v);
                    case 4 -> h.set(INT, off, (int) v);
                    default -> h.set(LONG, off, v);
                }
                notifyIfWatched(pa & PAGE_MASK);
                return;
            }
        }
        link.pause();
        try {
            mmio.write(pa, size, v);
        } finally {
            link.resume();
        }
    }

    /** After a checked write into RAM page {@code page} (or just before a locked one). */
    private void notifyIfWatched(long page) {
        if (codes.isWatched(page) && codes.written(page, link)) {
            // Unwatched now: this vCPU's blocks of the page go at once, the others' at their next block boundary.
            listener.codeWritten(page);
            for (int k = 0; k < TLB_SIZE; k++) {
                if (w.phys[k] == page && w.tag[k] != -1) {
                    w.tag[k] = -1; // refilled with a fast entry on the next write
                }
            }
        }
    }

    /** The physical address of {@code a} for an access of {@code kind}, from the TLB or a page walk. */
    private long translate(long a, int kind) {
        Tlb t = kind == READ ? r : kind == WRITE ? w : x;
        int k = (int) (a >>> 12) & TLB_MASK;
        if (t.tag[k] == ((a & PAGE_MASK) | mode)) {
            return t.phys[k] | (a & 0xfff);
        }
        long pa = walk(a, kind);
        long page = pa & PAGE_MASK;
        t.tag[k] = (a & PAGE_MASK) | mode;
        t.phys[k] = page;
        t.global[k] = walkGlobal;
        t.span[k] = walkSpan;
        anyLarge |= walkSpan != 0xfff;
        anyGlobal |= walkGlobal;
        t.host[k] = kind == WRITE && codes.isWatched(page) ? 0 : ramPage(page);
        return pa;
    }

    /** The host address of one RAM page, or 0 when the page is not RAM. */
    private long ramPage(long page) {
        for (int k = 0; k < ramStart.length; k++) {
            if (page >= ramStart[k] && page + PAGE_SIZE <= ramEnd[k]) {
                return ramHost[k].address() + (page - ramStart[k]);
            }
        }
        return 0;
    }

    /** A page-table entry of {@code size} (4 or 8) bytes; one outside RAM reads as not present (0). */
    long entry(long pa, int size) {
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa + size <= ramEnd[k]) {
                return size == 4 ? ramHost[k].get(INT, pa - ramStart[k]) & 0xffffffffL : ramHost[k].get(LONG, pa - ramStart[k]);
            }
        }
        return 0;
    }

    /** Writes back a page-table entry (its accessed and dirty bits). */
    void writeEntry(long pa, int size, long value) {
        physWrite(pa, size, value);
    }

    /** A page-table entry (8-byte aligned); one outside RAM reads as not present (0). */
    private long readEntry(long pa) {
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa + 8 <= ramEnd[k]) {
                return (long) ENTRY.getAcquire(ramHost[k], pa - ramStart[k]);
            }
        }
        return 0;
    }

    /**
     * Sets accessed/dirty bits in the entry at {@code pa} if it still holds {@code expected}, atomically as the
     * hardware's locked update does; false when another vCPU changed it first (the walk starts over).
     */
    private boolean setEntryBits(long pa, long expected, long bits) {
        for (int k = 0; k < ramStart.length; k++) {
            if (pa >= ramStart[k] && pa + 8 <= ramEnd[k]) {
                if (!(boolean) ENTRY.compareAndSet(ramHost[k], pa - ramStart[k], expected, expected | bits)) {
                    return false;
                }
                notifyIfWatched(pa & PAGE_MASK);
                return true;
            }
        }
        return true; // not RAM: read as not present, so never reached
    }

    private long walk(long a, int kind) {
        walkGlobal = false;
        walkSpan = 0xfff;
        for (;;) {
            long pa = walkOnce(a, kind);
            if (pa != -1) {
                return pa;
            }
        }
    }

    /** One walk; -1 when setting an accessed or dirty bit lost a race with another vCPU's write of the entry. */
    private long walkOnce(long a, int kind) {
        boolean user = (mode & 1) != 0;
        if (((a << 16) >> 16) != a) {
            throw GuestFault.gp("non-canonical address 0x" + Long.toHexString(a));
        }
        if ((s.cr0 & CpuState.CR0_PG) == 0) {
            return a & 0xffffffffL; // paging off (real or protected mode): linear is physical
        }
        if ((s.efer & CpuState.EFER_LMA) == 0) {
            return LegacyPaging.walk(this, s, a, kind, user);
        }
        boolean nxe = (s.efer & CpuState.EFER_NXE) != 0;
        long table = s.cr3 & ADDR_4K;
        boolean writable = true;
        boolean userOk = true;
        boolean noExec = false;
        int shift = 39;
        for (int level = 0; level < 4; level++, shift -= 9) {
            long ea = table + ((a >>> shift) & 511) * 8;
            long e = readEntry(ea);
            if ((e & PTE_P) == 0) {
                throw pageFault(a, kind, false);
            }
            walkAddr[level] = ea;
            walkEntry[level] = e;
            writable &= (e & PTE_RW) != 0;
            userOk &= (e & PTE_US) != 0;
            noExec |= nxe && (e & PTE_NX) != 0;
            boolean leaf = level == 3 || (level >= 1 && (e & PTE_PS) != 0);
            if (!leaf) {
                table = e & ADDR_4K;
                continue;
            }
            if (user && !userOk) {
                throw pageFault(a, kind, true);
            }
            if (kind == WRITE && !writable && (user || (s.cr0 & CpuState.CR0_WP) != 0)) {
                throw pageFault(a, kind, true);
            }
            if (kind == EXEC && noExec) {
                throw pageFault(a, kind, true);
            }
            for (int l = 0; l <= level; l++) {
                long bits = PTE_A | (l == level && kind == WRITE ? PTE_D : 0);
                if ((walkEntry[l] & bits) != bits && !setEntryBits(walkAddr[l], walkEntry[l], bits)) {
                    return -1;
                }
            }
            walkSpan = level == 1 ? 0x3fffffffL : level == 2 ? 0x1fffffL : 0xfffL;
            walkGlobal = (e & PTE_G) != 0 && (s.cr4 & CpuState.CR4_PGE) != 0;
            return switch (level) {
                case 1 -> (e & ADDR_1G) | (a & 0x3fffffffL);
                case 2 -> (e & ADDR_2M) | (a & 0x1fffffL);
                default -> (e & ADDR_4K) | (a & 0xfffL);
            };
        }
        throw new AssertionError("unreachable: the fourth level is always a leaf");
    }

    MemoryFault pageFault(long a, int kind, boolean present) {
        int code = (present ? ERR_P : 0) | (kind == WRITE ? ERR_W : 0) | ((mode & 1) != 0 ? ERR_U : 0);
        if (kind == EXEC && (s.efer & CpuState.EFER_NXE) != 0 && (s.cr4 & CpuState.CR4_PAE) != 0) {
            code |= ERR_I;
        }
        MemoryFault.Access access = kind == READ ? MemoryFault.Access.READ
                : kind == WRITE ? MemoryFault.Access.WRITE : MemoryFault.Access.EXECUTE;
        return new MemoryFault(a, access, code);
    }
}
