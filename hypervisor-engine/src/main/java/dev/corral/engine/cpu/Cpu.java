package dev.corral.engine.cpu;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.cpu.decode.Decoder;
import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.LegacyDecoder;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.interp.Block;
import dev.corral.engine.cpu.interp.BlockCache;
import dev.corral.engine.cpu.interp.CompiledBlock;
import dev.corral.engine.cpu.interp.Interp;
import dev.corral.engine.cpu.interp.LegacyOps;
import dev.corral.engine.cpu.interp.LockedOps;
import dev.corral.engine.cpu.interp.SystemOps;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.Delivery;
import dev.corral.engine.cpu.sys.LegacyDelivery;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.cpu.sys.ModelMsrs;
import dev.corral.engine.cpu.sys.PagedMemory;
import dev.corral.engine.cpu.sys.ResetState;
import dev.corral.engine.cpu.sys.Segments;
import dev.corral.engine.cpu.sys.TimeStampCounter;
import dev.corral.engine.cpu.sys.VcpuLink;
import dev.corral.engine.cpu.translate.TranslationPolicy;
import dev.corral.engine.cpu.translate.Translations;
import dev.corral.engine.cpu.translate.Translator;
import dev.corral.engine.machine.TscClock;
import dev.corral.engine.memory.GuestMemory;

import java.util.ArrayList;

/**
 * A software x86-64 CPU: decodes guest code into cached blocks and interprets them against a
 * {@link CpuMemory}. One instance per vCPU; instances share nothing.
 *
 * <p>Two kinds. A user-mode CPU ({@link #Cpu(CpuState, CpuMemory)}) runs 64-bit user code at CPL3 and
 * returns every fault and SYSCALL to its caller. A system CPU ({@link #system}, {@link #apWaitingForSipi}) runs a
 * kernel in any mode from real mode to 64-bit mode: paging through the guest's page tables, privileged
 * instructions, and faults, INT n and SYSCALL delivered through the guest's own IDT (or IVT) and MSRs; it returns
 * only BudgetSpent, Halt, PortIo and Shutdown.
 *
 * <p>Threads: a CPU is not thread-safe. Every method, {@link #init} and {@link #startup} included, is for the one
 * thread that runs this vCPU, between {@link #run} calls; an INIT or SIPI that another vCPU sends is recorded by
 * this vCPU's local APIC and applied by this vCPU's loop.
 *
 * <p>Guest input can only ever produce a {@link CpuExit}: unimplemented or invalid encodings are #UD,
 * memory faults are #PF at the faulting instruction with nothing of it committed.
 */
public final class Cpu {

    private static final CpuExit.BudgetSpent BUDGET_SPENT = new CpuExit.BudgetSpent();

    private final CpuState state;
    private final CpuMemory memory;
    private final BlockCache cache = new BlockCache();
    private final Decoder decoder;
    private final Interp interp;
    private long retired;
    private TranslationPolicy policy = TranslationPolicy.DEFAULT;
    private long translatedInsns;
    private final Translations translations;
    // System CPU only (null otherwise).
    private final PagedMemory paged;
    private final Delivery delivery;
    private final SystemOps sys;
    private final Segments seg;
    private final CpuidModel cpuid;
    /** This vCPU's part in its VM's agreements (system CPU only). */
    private final VcpuLink link;
    /** An application processor after INIT: it runs nothing until a STARTUP IPI (see {@link #startup}). */
    private boolean waitingForSipi;

    public Cpu(CpuState state, CpuMemory memory) {
        this(state, memory, CpuidModel.standard());
    }

    public Cpu(CpuState state, CpuMemory memory, CpuidModel cpuid) {
        this.state = state;
        this.memory = memory;
        this.decoder = new Decoder(memory, cpuid);
        this.interp = new Interp(state, memory, cpuid);
        this.paged = null;
        this.translations = new Translations(TranslationPolicy.chaining(false));
        this.delivery = null;
        this.sys = null;
        this.seg = null;
        this.cpuid = cpuid;
        this.link = null;
        interp.tsc = new TimeStampCounter(new TscClock(System::nanoTime));
        interp.locked = new LockedOps(interp, null, null);
        memory.setCodeWriteListener(cache);
    }

    private Cpu(CpuState state, PagedMemory memory, CpuidModel cpuid, CpuGroup group, VcpuLink link, LocalApicPort apic) {
        this.state = state;
        this.memory = memory;
        this.paged = memory;
        this.translations = new Translations(TranslationPolicy.chaining(true));
        this.decoder = new Decoder(memory, cpuid, true);
        this.interp = new Interp(state, memory, cpuid);
        this.delivery = new Delivery(state, memory);
        this.sys = new SystemOps(interp, memory, delivery);
        this.seg = new Segments(state, memory);
        this.cpuid = cpuid;
        this.link = link;
        interp.sys = sys;
        interp.seg = seg;
        sys.seg = seg;
        delivery.seg = seg;
        delivery.legacy = new LegacyDelivery(state, memory, seg);
        interp.legacy = new LegacyOps(interp, seg, sys, memory, delivery);
        interp.tsc = new TimeStampCounter(group.tsc());
        interp.locked = new LockedOps(interp, group.splitLock(), link);
        sys.msrs = new ModelMsrs(interp.tsc, apic);
        memory.setUser(state.cpl == 3);
        memory.setCodeWriteListener(cache);
        link.attach(memory, cache);
    }

    /**
     * The boot processor: a CPU at CPL0 exactly as {@code entry} says (CR0/CR3/CR4/EFER, the GDT and IDT, RIP,
     * RSP, RSI, RBX, RFLAGS, selectors with their descriptor caches, and TR): 64-bit long mode with paging (the
     * Linux boot protocol's 64-bit entry) or 32-bit protected mode (PVH), with paging through the guest's page
     * tables over {@code ram}; physical addresses outside RAM go to {@code mmio}. Faults are delivered through the
     * guest's IDT, never returned.
     *
     * @throws IllegalArgumentException when {@code entry} is neither long mode with paging nor protected mode
     */
    public static Cpu system(GuestMemory ram, MmioHandler mmio, EntryState entry) {
        return CpuGroup.uniprocessor(ram).cpu(0, entry, mmio, LocalApicPort.none());
    }

    /** vCPU {@code link} of {@code group}, told {@code cpuid} by CPUID: {@link CpuGroup#cpu} makes it. */
    static Cpu system(CpuGroup group, VcpuLink link, CpuidModel cpuid, EntryState entry, MmioHandler mmio, LocalApicPort apic) {
        boolean usable = entry.longMode() ? (entry.cr0() & EntryState.CR0_PG) != 0 && (entry.cr4() & EntryState.CR4_PAE) != 0
                : (entry.cr0() & EntryState.CR0_PE) != 0;
        if (!usable) {
            throw new IllegalArgumentException("the software CPU starts a boot processor in long mode with paging or in protected mode;"
                    + " this entry has CR0 0x" + Long.toHexString(entry.cr0()) + ", CR4 0x" + Long.toHexString(entry.cr4())
                    + " and EFER 0x" + Long.toHexString(entry.efer()));
        }
        CpuState s = new CpuState();
        s.rip = entry.rip();
        s.gpr[CpuState.RSP] = entry.rsp();
        s.gpr[CpuState.RSI] = entry.rsi();
        s.gpr[CpuState.RBX] = entry.rbx();
        s.rflags = entry.rflags() | 2;
        s.cr0 = entry.cr0();
        s.cr3 = entry.cr3();
        s.cr4 = entry.cr4();
        s.efer = entry.efer();
        s.gdtBase = entry.gdtBase();
        s.gdtLimit = entry.gdtLimit();
        s.idtBase = entry.idtBase();
        s.idtLimit = entry.idtLimit();
        s.tr = entry.tr().selector();
        s.trBase = entry.tr().base();
        s.trLimit = (int) Math.min(entry.tr().limit(), Integer.MAX_VALUE);
        s.trAttr = Segments.descAttr(entry.tr().descriptor());
        s.cpl = 0;
        Cpu cpu = new Cpu(s, new PagedMemory(group.ram(), mmio, s, group.codes(), link), cpuid, group, link, apic);
        cpu.seg.load(Segments.CS, entry.cs().selector(), entry.cs().descriptor());
        for (int sreg : new int[] {Segments.ES, Segments.SS, Segments.DS, Segments.FS, Segments.GS}) {
            cpu.seg.load(sreg, entry.data().selector(), entry.data().descriptor());
        }
        return cpu;
    }

    /**
     * An application processor as the platform leaves it at power-on: in the wait-for-SIPI state of
     * {@link #init()}, running nothing until {@link #startup} (the local APIC's STARTUP IPI), alone in a VM of its
     * own (tests). The vCPUs of a real VM come from {@link CpuGroup#applicationProcessor}.
     */
    public static Cpu apWaitingForSipi(GuestMemory ram, MmioHandler mmio) {
        return CpuGroup.uniprocessor(ram).applicationProcessor(0, mmio, LocalApicPort.none());
    }

    /** vCPU {@code link} of {@code group} in the wait-for-SIPI state: {@link CpuGroup#applicationProcessor} makes it. */
    static Cpu apWaitingForSipi(CpuGroup group, VcpuLink link, CpuidModel cpuid, MmioHandler mmio, LocalApicPort apic) {
        CpuState s = new CpuState();
        s.cr0 = CpuState.CR0_CD | CpuState.CR0_NW; // power-up: CR0 0x60000010 after INIT
        Cpu cpu = new Cpu(s, new PagedMemory(group.ram(), mmio, s, group.codes(), link), cpuid, group, link, apic);
        cpu.init();
        return cpu;
    }

    /**
     * INIT (the local APIC's INIT IPI or INIT level assertion): the manual's INIT state, then wait-for-SIPI.
     * General registers zero except EDX (the CPUID signature), EFLAGS 2, CR0 0x60000010 (CD and NW kept),
     * CR2/CR3/CR4 and EFER zero, real mode at F000:FFF0 (base 0xFFFF0000), data segments at 0 with limit 0xFFFF,
     * GDTR/IDTR base 0 limit 0xFFFF, DR6/DR7 at their reset values. x87, SSE, the TSC and the other MSRs keep
     * their values, as the hardware keeps them; a shut-down CPU comes back to life. A processor that should
     * restart at the reset vector instead (the boot processor) is not modelled: there is no firmware there.
     *
     * <p>Like every method of a CPU, only the thread that runs it may call this, between {@link #run} calls:
     * the local APIC records an INIT or SIPI that another vCPU sends, and this vCPU's loop applies it.
     */
    public void init() {
        if (sys == null) {
            throw new IllegalStateException("a user-mode CPU takes no INIT");
        }
        int[] id = new int[4];
        cpuid.query(1, 0, id);
        ResetState.init(state, seg, id[0] & 0xffffffffL);
        delivery.shutdown = null;
        sys.pendingIn = 0;
        paged.setUser(false);
        paged.flush();
        waitingForSipi = true;
    }

    /**
     * STARTUP IPI with {@code vector}: a CPU waiting for SIPI starts in real mode at CS = vector &lt;&lt; 8 (base
     * vector &lt;&lt; 12), IP 0, and this returns true. A CPU not waiting for SIPI ignores it (the second SIPI
     * of the INIT-SIPI-SIPI sequence) and this returns false. Same thread rule as {@link #init()}.
     */
    public boolean startup(int vector) {
        if (vector < 0 || vector > 255) {
            throw new IllegalArgumentException("SIPI vector " + vector + " is not in 0..255");
        }
        if (!waitingForSipi) {
            return false;
        }
        seg.set(Segments.CS, vector << 8, (long) vector << 12, 0xffff, Segments.REAL_CODE);
        state.rip = 0;
        waitingForSipi = false;
        return true;
    }

    /** In the wait-for-SIPI state: {@link #run} returns Halt at once, {@link #interruptible()} is false. */
    public boolean waitingForSipi() {
        return waitingForSipi;
    }

    public CpuState state() {
        return state;
    }

    /** The paged memory of a system CPU (for devices that write guest RAM directly), null for a user-mode one. */
    public PagedMemory pagedMemory() {
        return paged;
    }

    /** Instructions executed so far (a REP string instruction counts once per resumption). */
    public long retired() {
        return retired;
    }

    /**
     * RFLAGS.IF is set and no STI or MOV SS shadow holds interrupts off (always false after a shutdown and while
     * waiting for SIPI).
     */
    public boolean interruptible() {
        return (state.rflags & CpuState.IF) != 0 && !state.interruptShadow
                && (delivery == null || delivery.shutdown == null) && !waitingForSipi;
    }

    /**
     * Delivers external interrupt {@code vector} through the IDT now, as if it arrived before the
     * instruction at rip: after a Halt exit the handler's IRET resumes after the HLT. The caller checked
     * {@link #interruptible()}. A delivery that triple-faults makes the next {@link #run} return Shutdown.
     */
    public void injectInterrupt(int vector) {
        if (delivery == null) {
            throw new IllegalStateException("a user-mode CPU takes no interrupts");
        }
        if (vector < 0 || vector > 255) {
            throw new IllegalArgumentException("interrupt vector " + vector + " is not in 0..255");
        }
        link.enter(); // the delivery writes the guest's stack through this vCPU's TLB
        try {
            delivery.deliver(vector, Delivery.EXTERNAL, 0, state.rip, state.rip);
        } finally {
            link.leave();
        }
    }

    /** The value for the IN of the last {@code PortIo(in=true)} exit: into AL, AX or EAX (zero-extending RAX). */
    public void completePortIn(int value) {
        if (sys == null || sys.pendingIn == 0) {
            throw new IllegalStateException("completePortIn without a pending IN exit");
        }
        interp.setReg(CpuState.RAX, sys.pendingIn, value & 0xffffffffL);
        sys.pendingIn = 0;
    }

    /**
     * Executes up to {@code budget} instructions and says why it stopped. A CPU waiting for SIPI executes nothing
     * and returns Halt: it sleeps until the vCPU loop applies a STARTUP IPI.
     */
    public CpuExit run(long budget) {
        if (delivery != null) {
            if (delivery.shutdown != null) {
                return delivery.shutdown;
            }
            if (waitingForSipi) {
                return Interp.HALT_EXIT;
            }
            sys.pendingIn = 0;
        }
        long left = budget;
        long done = 0;
        Block prev = null;
        CompiledBlock from = null; // the translation that ran last, when it left through a chaining exit
        int slot = 0; // which of its exits
        translations.evictIfOverBudget(cache);
        if (link != null) {
            link.enter(); // catch up with the other vCPUs of the VM before touching guest memory
        }
        try {
            while (left > 0) {
                if (link != null && link.attention()) {
                    link.service(); // another vCPU wrote code this one decoded, or watched a page this one writes
                }
                try {
                    if (state.codeSize != 8) {
                        from = null;
                        state.materializeFlags();
                        int r = legacyStep();
                        left--;
                        done++;
                        if (r == Interp.EXIT) {
                            return interp.takeExit();
                        }
                        continue;
                    }
                    long rip = state.rip;
                    Block b = null;
                    if (prev != null) { // a jump taken before: no lookup
                        b = prev.next;
                        if (b == null || b.start != rip) {
                            b = prev.other;
                            if (b != null && b.start == rip) {
                                prev.other = prev.next;
                                prev.next = b;
                            } else {
                                b = null;
                            }
                        }
                    }
                    if (b != null && !b.valid) {
                        b = null; // its code was written: the cache may hold the block decoded again
                    }
                    boolean linked = b != null;
                    if (b == null) {
                        b = cache.find(rip);
                    }
                    if (b != null && (!b.valid || !stillMapped(b))) {
                        b = null;
                        linked = false;
                    }
                    if (b == null) {
                        b = Block.decode(decoder, memory, rip);
                        cache.add(b);
                        b.mappedEpoch = memory.epoch();
                    }
                    if (prev != null && !linked) {
                        prev.other = prev.next;
                        prev.next = b;
                    }
                    prev = b;
                    if (policy.enabled() && !state.interruptShadow) {
                        CompiledBlock t = b.compiled;
                        if (t == null && ++b.heat == policy.threshold()) {
                            t = translations.hot(region(b), policy);
                            translations.evictIfOverBudget(cache);
                        }
                        if (t != null && left >= b.insns.length) {
                            if (from != null) {
                                from.chain[slot] = t; // that exit runs t directly next time, while t still fits
                            }
                            t.mappedEpoch = b.mappedEpoch; // found mapped just now
                            interp.exitFrom = null;
                            interp.chainDepth = 0;
                            interp.chainedDone = 0;
                            long r = t.run(interp, left);
                            from = interp.exitFrom;
                            slot = interp.exitSlot;
                            int n = (int) r;
                            left -= n;
                            done += n;
                            translatedInsns += n;
                            if ((r & CompiledBlock.EXIT) != 0) {
                                return interp.takeExit();
                            }
                            continue;
                        }
                    }
                    from = null;
                    state.materializeFlags();
                    // After STI or MOV SS, one instruction runs on its own, then interrupts may come.
                    boolean single = state.interruptShadow;
                    Insn[] insns = b.insns;
                    int n = insns.length;
                    for (int k = 0; ; ) {
                        Insn i = insns[k++];
                        if (single) {
                            state.interruptShadow = false;
                        }
                        int r = interp.exec(i);
                        left--;
                        done++;
                        if (r != Interp.NEXT) {
                            if (r == Interp.EXIT) {
                                return interp.takeExit();
                            }
                            break;
                        }
                        state.rip = i.next;
                        if (k == n || left == 0 || !b.valid || single) {
                            break;
                        }
                    }
                } catch (MemoryFault f) {
                    prev = null;
                    from = null;
                    int p = afterFault();
                    left -= p;
                    done += p;
                    if (delivery == null) {
                        return pageFault(f);
                    }
                    left--; // a delivered fault counts, so a handler that faults forever still ends run
                    state.cr2 = f.address();
                    long code = f.errorCode() >= 0 ? f.errorCode() : userPageFaultCode(f);
                    CpuExit.Shutdown down = delivery.deliver(CpuExit.Fault.PF, Delivery.EXCEPTION, code, state.rip, state.rip);
                    if (down != null) {
                        return down;
                    }
                } catch (GuestFault g) {
                    prev = null;
                    from = null;
                    int p = afterFault();
                    left -= p;
                    done += p;
                    if (delivery == null) {
                        return new CpuExit.Fault(g.vector, g.errorCode, 0, g.getMessage());
                    }
                    left--;
                    CpuExit.Shutdown down = delivery.deliver(g.vector, Delivery.EXCEPTION, g.errorCode, state.rip, state.rip);
                    if (down != null) {
                        return down;
                    }
                }
            }
            return BUDGET_SPENT;
        } finally {
            state.materializeFlags();
            retired += done;
            if (link != null) {
                link.leave();
            }
        }
    }

    /**
     * After a fault, in either tier: the flags exact (a delivery pushes them) and the instructions translated code
     * retired before the faulting one (the chain of translations that led to it included), which the caller counts.
     */
    private int afterFault() {
        state.materializeFlags();
        int p = interp.takePartial();
        translatedInsns += p;
        return p;
    }

    /** Which tiers run this vCPU's 64-bit code (the default comes from the {@code corral.cpu.translate} property). */
    public enum Translation {
        /** The interpreter only. */
        OFF,
        /** Hot blocks translated, the rest interpreted. */
        ON,
        /** Every block translated before it first runs; a block the translator cannot take is an error (tests). */
        ALWAYS
    }

    /** Chooses the tiers for this vCPU (before its first {@link #run}, or between runs); returns this CPU. */
    public Cpu translation(Translation mode) {
        policy = switch (mode) {
            case OFF -> TranslationPolicy.OFF;
            case ON -> TranslationPolicy.ON;
            case ALWAYS -> TranslationPolicy.ALWAYS;
        };
        return this;
    }

    /** Tests: this vCPU's tiers with a policy of their own (a small budget, a threshold). */
    Cpu translation(TranslationPolicy p) {
        policy = p;
        return this;
    }

    /** What this vCPU has run in each tier, and what its translation cache has done. */
    public CpuStats stats() {
        return new CpuStats(retired - translatedInsns, translatedInsns, translations.blocksTranslated(),
                translations.translationsReused(), translations.translationNanos(), translations.codeBytes(),
                cache.translationsInvalidated, translations.evictions(), translations.failures(), interp.chained,
                interp.pauseYields());
    }

    /**
     * One instruction of real, protected or compatibility-mode code, decoded where it stands (these modes run
     * little code: the AP trampoline, firmware-like setup), so a change of mode, CS base or code bytes needs no
     * invalidation.
     */
    private int legacyStep() {
        Insn i = LegacyDecoder.decode(decoder, state.rip, state.codeSize, seg.base(Segments.CS), state.segLimit[Segments.CS],
                seg.realMode());
        if (state.interruptShadow) {
            state.interruptShadow = false;
        }
        int r = interp.exec(i);
        if (r == Interp.NEXT) {
            state.rip = i.next;
        }
        return r;
    }

    /** At most this many blocks are translated into one method ({@link #region}). */
    private static final int REGION_BLOCKS = 8;

    /**
     * The blocks translated with hot block {@code head}, head first: the blocks its direct jumps and calls reach
     * (and theirs, breadth first) that lie wholly in head's first page, so that head's check that its page is still
     * mapped covers them. Only blocks already decoded, i.e. run at least once, except under a strict policy (the
     * tests' "always"), which decodes them to translate as much as it can.
     */
    private Block[] region(Block head) {
        long page = head.start & -CpuMemory.PAGE_SIZE;
        var blocks = new ArrayList<Block>(REGION_BLOCKS);
        blocks.add(head);
        long[] targets = new long[2];
        for (int q = 0; q < blocks.size() && blocks.size() < REGION_BLOCKS; q++) {
            Block b = blocks.get(q);
            Insn last = b.insns[b.insns.length - 1];
            int n = 0;
            switch (last.op) {
                case Op.JCC -> {
                    targets[n++] = last.imm;
                    targets[n++] = last.next;
                }
                case Op.JMP, Op.CALL -> targets[n++] = last.imm;
                default -> {
                    if (Translator.hasOwnBytecode(last)) { // a block cut at its length cap: it falls through
                        targets[n++] = last.next;
                    }
                }
            }
            for (int k = 0; k < n && blocks.size() < REGION_BLOCKS; k++) {
                Block s = member(targets[k], page, head, blocks);
                if (s != null) {
                    blocks.add(s);
                }
            }
        }
        return blocks.toArray(new Block[0]);
    }

    /** The block at {@code rip} when it may join head's region ({@link #region}), else null. */
    private Block member(long rip, long page, Block head, ArrayList<Block> blocks) {
        if ((rip & -CpuMemory.PAGE_SIZE) != page) {
            return null;
        }
        for (Block b : blocks) {
            if (b.start == rip) {
                return null;
            }
        }
        Block s = cache.find(rip);
        if (s == null && policy.strict()) {
            try {
                s = Block.decode(decoder, memory, rip);
            } catch (MemoryFault | GuestFault e) {
                return null; // reported when (if) execution gets there
            }
            cache.add(s);
            s.mappedEpoch = memory.epoch();
        }
        if (s == null || !s.valid || s.firstPage != head.firstPage || s.lastLinearPage != page) {
            return null;
        }
        return s;
    }

    /**
     * Under paging, a cached block is good only while its pages still map to the physical pages it was decoded from:
     * checked once per {@link PagedMemory#epoch}, since nothing else changes the mapping the vCPU sees.
     */
    private boolean stillMapped(Block b) {
        if (paged == null || b.mappedEpoch == paged.epoch) {
            return true;
        }
        long first = b.start & -CpuMemory.PAGE_SIZE;
        if (paged.codePage(first) != b.firstPage) { // faults (#PF on fetch) when rip's page is gone
            return false;
        }
        if (b.lastLinearPage != first && paged.peekCodePage(b.lastLinearPage) != b.lastPage) {
            return false;
        }
        b.mappedEpoch = paged.epoch;
        return true;
    }

    private static CpuExit.Fault pageFault(MemoryFault f) {
        return new CpuExit.Fault(CpuExit.Fault.PF, userPageFaultCode(f), f.address(), f.getMessage());
    }

    private static long userPageFaultCode(MemoryFault f) {
        long code = 4; // user-mode access
        if (f.access() == MemoryFault.Access.WRITE) {
            code |= 2;
        } else if (f.access() == MemoryFault.Access.EXECUTE) {
            code |= 0x10;
        }
        return code;
    }

    /** Number of decoded blocks currently cached (for tests of invalidation). */
    int cachedBlocks() {
        return cache.size();
    }
}
