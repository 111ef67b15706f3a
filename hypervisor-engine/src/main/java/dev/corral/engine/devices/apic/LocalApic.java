package dev.corral.engine.devices.apic;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.BooleanSupplier;

import dev.corral.engine.devices.apic.ApicMessage.DeliveryMode;
import dev.corral.engine.devices.apic.ApicMessage.Shorthand;
import dev.corral.engine.machine.MmioDevice;

/**
 * One processor's local APIC (Intel SDM vol. 3A, chapter 10), as a Pentium 4-class integrated xAPIC (version 0x14)
 * with the x2APIC extensions: the 4 KiB register page (xAPIC mode, relocatable through IA32_APIC_BASE), the same
 * registers as MSRs 0x800-0x8ff (x2APIC mode), IA32_APIC_BASE and IA32_TSC_DEADLINE.
 *
 * <p>Registers: ID (read-only here: writing it is model-specific and no OS does), version (max LVT entry 5: timer,
 * thermal, performance, LINT0, LINT1, error; EOI-broadcast suppression supported), TPR/APR/PPR, EOI, LDR/DFR (flat
 * and cluster models; in x2APIC mode the LDR is derived from the id and there is no DFR), SVR (software enable,
 * spurious vector, focus checking, EOI-broadcast suppression), ISR/TMR/IRR, ESR (errors accumulate until a write
 * publishes them), the six LVT entries, the ICR, and the timer. MMIO: each register is read as 1, 2 or 4 bytes
 * within the first four bytes of its 16-byte slot (as KVM answers; other bytes and 8-byte reads give 0) and written
 * only as an aligned 32-bit store (anything else is dropped); a reserved offset sets ESR bit 7 ("illegal register
 * address"). In x2APIC mode the same cases are refusals the CPU turns into #GP ({@link MsrAccessRefused}).
 *
 * <p>Nothing is delivered to the processor directly: its vCPU loop asks. {@link #hasInterrupt} and
 * {@link #acknowledge} are the INTR line and the INTA cycle (fixed vectors by priority against the PPR, or an ExtINT
 * for the 8259A PIC); {@link #pollSignal} takes INIT, STARTUP and NMI. The {@code wake} callback runs whenever
 * something new becomes pending, from whichever thread delivered it, so a halted vCPU can be unparked.
 *
 * <p>The timer counts at a fixed bus frequency (by default 1 GHz, as KVM's and QEMU's: CPUID 0x15's crystal clock
 * should say the same so that Linux takes it without calibrating) on the host's monotonic clock; TSC-deadline mode
 * compares the vCPU's TSC (the VM's TscClock plus the vCPU's offset) with IA32_TSC_DEADLINE. No thread ticks: expiries
 * are delivered on {@link #advanceTo} (and on any register access), and {@link #nextDeadlineNanos} says when the next
 * one is due; expiries the VMM was late for merge into one, as the IRR's single bit would.
 *
 * <p>Thread-safe. The owning vCPU's thread makes the register accesses; other vCPUs and devices deliver messages
 * through the {@link ApicBus}. This APIC never holds its own lock while it calls the bus or the PIC, so delivery in
 * any direction cannot deadlock.
 */
public final class LocalApic implements MmioDevice {

    public static final long DEFAULT_BASE = 0xfee00000L;
    public static final int PAGE_SIZE = 0x1000;
    public static final int MSR_APIC_BASE = 0x1b, MSR_TSC_DEADLINE = 0x6e0, MSR_X2APIC_FIRST = 0x800,
            MSR_X2APIC_LAST = 0x8ff;

    // The register page (SDM table 10-1); x2APIC MSR = 0x800 + offset / 16.
    static final int ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0, DFR = 0xe0,
            SVR = 0xf0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280, ICR = 0x300, ICR_HIGH = 0x310,
            LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERF = 0x340, LVT_LINT0 = 0x350, LVT_LINT1 = 0x360,
            LVT_ERROR = 0x370, TIMER_INITIAL = 0x380, TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3e0, SELF_IPI = 0x3f0;
    /** Version 0x14, max LVT entry 5 (bits 23:16), EOI-broadcast suppression supported (bit 24). */
    static final int VERSION_VALUE = 0x14 | 5 << 16 | 1 << 24;
    // LVT entries, by (offset - LVT_TIMER) / 16.
    static final int TIMER = 0, THERMAL = 1, PERF = 2, LINT0 = 3, LINT1 = 4, ERROR = 5;
    static final int LVT_MASKED = 1 << 16;
    // Writable and defined (writable or read-only) bits of each LVT entry (SDM figure 10-8).
    private static final int[] LVT_WRITABLE = {0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff};
    private static final int[] LVT_DEFINED = {0x710ff, 0x117ff, 0x117ff, 0x1f7ff, 0x1f7ff, 0x110ff};
    static final int SVR_ENABLE = 1 << 8, SVR_FOCUS_DISABLED = 1 << 9, SVR_SUPPRESS_EOI_BROADCAST = 1 << 12;
    private static final int SVR_WRITABLE = 0x13ff;
    static final int ESR_SEND_ILLEGAL_VECTOR = 1 << 5, ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6, ESR_ILLEGAL_REGISTER = 1 << 7;
    // ICR low: vector, delivery mode, destination mode, (delivery status), level, trigger mode, shorthand.
    private static final int ICR_WRITABLE = 0xccfff;
    static final long BASE_BSP = 1L << 8, BASE_EXTD = 1L << 10, BASE_EN = 1L << 11;
    private static final long BASE_ADDRESS = 0x000f_ffff_ffff_f000L; // architectural maximum: 52-bit addresses
    private static final long BASE_RESERVED = ~(BASE_ADDRESS | BASE_EN | BASE_EXTD | BASE_BSP);
    private static final long UNREADABLE = -1; // no register reads as all ones: ICR bit 12 always reads 0
    private static final ApicInterrupt EXT_INT = new ApicInterrupt.ExtInt();

    /** The result of a register write, for the caller to turn into nothing, an ESR bit or a #GP. */
    private enum Outcome {
        DONE(""), READ_ONLY("the register is read-only"), RESERVED_REGISTER("there is no such register"),
        RESERVED_BITS("reserved bits are set");

        final String refusal;

        Outcome(String refusal) {
            this.refusal = refusal;
        }
    }

    private final ApicBus bus;
    private final int id;
    private final boolean bootstrap;
    private final ApicTimer timer;
    private final BooleanSupplier lint0;
    private final Runnable wake;

    // IA32_APIC_BASE.
    private long base = DEFAULT_BASE;
    private boolean enabled = true;
    private boolean x2apic;
    private volatile long mmioBase = DEFAULT_BASE;

    private int tpr, ldr, dfr, svr, esr, esrPending, icrLow, icrHigh;
    private final int[] lvt = new int[6];
    private final VectorRegister irr = new VectorRegister(), isr = new VectorRegister(), tmr = new VectorRegister();

    // Pending processor signals and the outgoing side effects of the register write in progress.
    private boolean pendingInit, pendingNmi, pendingExtInt;
    private int pendingStartup = -1;
    private ApicMessage outgoingIpi;
    private int outgoingEoi = -1;

    /**
     * @param id        the initial APIC id, 0-254 (0xff is the broadcast address): the vCPU index
     * @param bootstrap whether this is the bootstrap processor (IA32_APIC_BASE bit 8)
     * @param timer     this APIC's timer, on the VM's TSC and this vCPU's offset
     * @param lint0     the level of the LINT0 pin: the 8259A PIC's INTR output (or never, for APs)
     * @param wake      runs when something becomes pending, on the delivering thread; must not block (an unpark)
     */
    public LocalApic(ApicBus bus, int id, boolean bootstrap, ApicTimer timer, BooleanSupplier lint0, Runnable wake) {
        if (id < 0 || id > 0xfe) {
            throw new IllegalArgumentException("a local APIC id is 0-254, not " + id);
        }
        this.bus = Objects.requireNonNull(bus, "bus");
        this.id = id;
        this.bootstrap = bootstrap;
        this.timer = Objects.requireNonNull(timer, "timer");
        this.lint0 = Objects.requireNonNull(lint0, "lint0");
        this.wake = Objects.requireNonNull(wake, "wake");
        resetRegisters();
        bus.attach(this);
    }

    public int id() {
        return id;
    }

    /** Where the register page is decoded: IA32_APIC_BASE's address in xAPIC mode, -1 when it is not decoded. */
    public long mmioBase() {
        return mmioBase;
    }

    /**
     * What firmware leaves before an OS boots (MP spec virtual-wire mode): LINT0 an unmasked ExtINT, so the 8259A
     * PIC reaches the processor through this APIC, and LINT1 an NMI. Call it on the bootstrap processor's APIC.
     */
    public synchronized void enterVirtualWireMode() {
        lvt[LINT0] = DeliveryMode.EXTINT.ordinal() << 8;
        lvt[LINT1] = DeliveryMode.NMI.ordinal() << 8;
    }

    // ---- the register page (xAPIC mode) ----

    @Override
    public long read(long offset, int size) {
        int within = (int) offset & 0xf;
        if (offset < 0 || offset >= PAGE_SIZE || within + size > 4) {
            return 0; // bytes 4-15 of a slot hold nothing, and no register is 8 bytes wide in xAPIC mode
        }
        synchronized (this) {
            if (!enabled || x2apic) {
                return size == 4 ? 0xffffffffL : (1L << 8 * size) - 1; // not decoded: reads like no device
            }
            long now = timer.now();
            advanceTimer(now);
            long value = readRegister((int) offset & 0xff0, now);
            if (value == UNREADABLE) {
                error(ESR_ILLEGAL_REGISTER);
                return 0;
            }
            return value >>> 8 * within & (1L << 8 * size) - 1;
        }
    }

    @Override
    public void write(long offset, int size, long value) {
        if (size != 4 || (offset & 0xf) != 0 || offset < 0 || offset >= PAGE_SIZE) {
            return; // registers take only aligned 32-bit stores
        }
        ApicMessage ipi;
        int eoi;
        synchronized (this) {
            if (!enabled || x2apic) {
                return;
            }
            long now = timer.now();
            advanceTimer(now);
            if (writeRegister((int) offset, value & 0xffffffffL, now) == Outcome.RESERVED_REGISTER) {
                error(ESR_ILLEGAL_REGISTER);
            }
            ipi = outgoingIpi;
            eoi = outgoingEoi;
            outgoingIpi = null;
            outgoingEoi = -1;
        }
        sendOutgoing(ipi, eoi);
    }

    // ---- MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE, the x2APIC registers ----

    /** Whether {@code msr} belongs to the local APIC, so the CPU hands RDMSR/WRMSR of it here. */
    public static boolean handlesMsr(int msr) {
        return msr == MSR_APIC_BASE || msr == MSR_TSC_DEADLINE || msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST;
    }

    /** RDMSR; throws {@link MsrAccessRefused} where the SDM says #GP. */
    public synchronized long readMsr(int msr) {
        long now = timer.now();
        advanceTimer(now);
        if (msr == MSR_APIC_BASE) {
            return base | (enabled ? BASE_EN : 0) | (x2apic ? BASE_EXTD : 0) | (bootstrap ? BASE_BSP : 0);
        }
        if (msr == MSR_TSC_DEADLINE) {
            return enabled ? timer.tscDeadline() : 0;
        }
        checkX2apicMsr(msr, "RDMSR");
        long value = readRegister((msr - MSR_X2APIC_FIRST) << 4, now);
        if (value == UNREADABLE) {
            throw new MsrAccessRefused("RDMSR of x2APIC MSR 0x" + Integer.toHexString(msr) + ": no readable register");
        }
        return value;
    }

    /** WRMSR; throws {@link MsrAccessRefused} where the SDM says #GP. */
    public void writeMsr(int msr, long value) {
        ApicMessage ipi;
        int eoi;
        synchronized (this) {
            long now = timer.now();
            advanceTimer(now);
            if (msr == MSR_APIC_BASE) {
                writeApicBase(value);
                return;
            }
            if (msr == MSR_TSC_DEADLINE) {
                if (enabled) {
                    timer.writeTscDeadline(value);
                    advanceTimer(now); // a deadline already passed fires at once
                }
                return;
            }
            checkX2apicMsr(msr, "WRMSR");
            var outcome = writeRegister((msr - MSR_X2APIC_FIRST) << 4, value, now);
            if (outcome != Outcome.DONE) {
                throw new MsrAccessRefused("WRMSR of 0x" + Long.toHexString(value) + " to x2APIC MSR 0x"
                        + Integer.toHexString(msr) + ": " + outcome.refusal);
            }
            ipi = outgoingIpi;
            eoi = outgoingEoi;
            outgoingIpi = null;
            outgoingEoi = -1;
        }
        sendOutgoing(ipi, eoi);
    }

    private void checkX2apicMsr(int msr, String instruction) {
        if (!handlesMsr(msr)) {
            throw new IllegalArgumentException("MSR 0x" + Integer.toHexString(msr) + " is not the local APIC's");
        }
        if (!enabled || !x2apic) {
            throw new MsrAccessRefused(instruction + " of x2APIC MSR 0x" + Integer.toHexString(msr)
                    + " while the local APIC is not in x2APIC mode");
        }
    }

    /** IA32_APIC_BASE: the address, EN and EXTD, by the state diagram of SDM 10.12.5; the BSP flag is read-only. */
    private void writeApicBase(long value) {
        boolean en = (value & BASE_EN) != 0, extd = (value & BASE_EXTD) != 0;
        String refusal = (value & BASE_RESERVED) != 0 ? "reserved bits are set"
                : extd && !en ? "x2APIC mode with the APIC disabled is not a valid state"
                : x2apic && en && !extd ? "leaving x2APIC mode for xAPIC mode must pass through the disabled state"
                : !enabled && en && extd ? "a disabled APIC must enter xAPIC mode before x2APIC mode"
                : null;
        if (refusal != null) {
            throw new MsrAccessRefused("WRMSR of 0x" + Long.toHexString(value) + " to IA32_APIC_BASE: " + refusal);
        }
        base = value & BASE_ADDRESS;
        if (!en && enabled) {
            resetRegisters(); // SDM 10.4.3: a globally disabled APIC returns to its reset state
            pendingNmi = false;
            pendingStartup = -1;
        }
        enabled = en;
        x2apic = extd; // entering x2APIC mode keeps every register; only the LDR becomes derived from the id
        mmioBase = enabled && !x2apic ? base : -1;
    }

    // ---- the registers, shared by both interfaces ----

    private long readRegister(int offset, long now) {
        if (offset >= ISR && offset < ESR) { // ISR, TMR, IRR: eight 32-bit slices of 256 bits each
            var bits = offset < TMR ? isr : offset < IRR ? tmr : irr;
            return bits.slice((offset >> 4) & 7);
        }
        if (offset >= LVT_TIMER && offset <= LVT_ERROR) {
            return lvt[(offset - LVT_TIMER) >> 4];
        }
        return switch (offset) {
            case ID -> unsigned(x2apic ? id : id << 24);
            case VERSION -> VERSION_VALUE;
            case TPR -> tpr;
            case APR -> x2apic ? UNREADABLE : arbitrationPriorityRegister();
            case PPR -> processorPriority();
            case EOI -> x2apic ? UNREADABLE : 0; // write-only; an xAPIC read gives 0
            case LDR -> unsigned(x2apic ? x2apicLogicalId() : ldr);
            case DFR -> x2apic ? UNREADABLE : unsigned(dfr);
            case SVR -> svr;
            case ESR -> esr;
            case ICR -> x2apic ? (long) icrHigh << 32 | unsigned(icrLow) : icrLow;
            case ICR_HIGH -> x2apic ? UNREADABLE : unsigned(icrHigh);
            case TIMER_INITIAL -> timer.initialCount();
            case TIMER_CURRENT -> timer.currentCount(now);
            case TIMER_DIVIDE -> timer.divide();
            default -> UNREADABLE; // reserved, and SELF IPI, which is write-only
        };
    }

    private static long unsigned(int value) {
        return value & 0xffffffffL;
    }

    private Outcome writeRegister(int offset, long value, long now) {
        int v = (int) value;
        boolean lvtEntry = offset >= LVT_TIMER && offset <= LVT_ERROR;
        if (x2apic ? offset == DFR || offset == ICR_HIGH || offset == APR : offset == SELF_IPI) {
            return Outcome.RESERVED_REGISTER; // registers of the other mode only
        }
        if (offset == ID || offset == VERSION || offset == PPR || offset >= ISR && offset < ESR
                || offset == TIMER_CURRENT || offset == APR || offset == LDR && x2apic) {
            return Outcome.READ_ONLY;
        }
        if (x2apic && (offset != ICR && value >>> 32 != 0 // only the ICR is 64 bits wide
                || (v & ~x2apicDefinedBits(offset)) != 0
                || offset == LVT_TIMER && (v >>> 17 & 3) == 3)) { // the reserved timer mode
            return Outcome.RESERVED_BITS; // SDM 10.12.1.3: #GP, where an xAPIC drops such bits
        }
        if (lvtEntry) {
            writeLvt((offset - LVT_TIMER) >> 4, v);
            return Outcome.DONE;
        }
        switch (offset) {
            case TPR -> tpr = v & 0xff;
            case EOI -> endOfInterrupt();
            case LDR -> ldr = v & 0xff000000;
            case DFR -> dfr = v | 0x0fffffff;
            case SVR -> writeSpuriousVector(v & SVR_WRITABLE);
            case ESR -> { // a write publishes the errors seen since the last write, and starts afresh
                esr = esrPending;
                esrPending = 0;
            }
            case ICR -> {
                icrLow = v & ICR_WRITABLE; // delivery status (bit 12) reads 0: delivery is immediate
                if (x2apic) {
                    icrHigh = (int) (value >>> 32);
                }
                outgoingIpi = interprocessorInterrupt();
            }
            case ICR_HIGH -> icrHigh = v & 0xff000000;
            case TIMER_INITIAL -> timer.writeInitialCount(value, now);
            case TIMER_DIVIDE -> timer.writeDivide(v & 0xb, now);
            case SELF_IPI -> { // a self-targeted edge-triggered fixed IPI (SDM 10.12.11): no trip over the bus
                if (v < 16) {
                    error(ESR_SEND_ILLEGAL_VECTOR);
                } else {
                    request(v, false);
                }
            }
            default -> {
                return Outcome.RESERVED_REGISTER;
            }
        }
        return Outcome.DONE;
    }

    /**
     * The bits a WRMSR may set in an x2APIC register (its writable and read-only fields; SDM table 10-6), or 0 for
     * no such register. DFR, ICR high and APR do not exist in x2APIC mode; EOI and ESR take only 0.
     */
    private static int x2apicDefinedBits(int offset) {
        if (offset >= LVT_TIMER && offset <= LVT_ERROR) {
            return LVT_DEFINED[(offset - LVT_TIMER) >> 4];
        }
        return switch (offset) {
            case TPR, SELF_IPI -> 0xff;
            case SVR -> SVR_WRITABLE;
            case ICR -> ICR_WRITABLE;
            case TIMER_INITIAL -> -1;
            case TIMER_DIVIDE -> 0xb;
            default -> 0;
        };
    }

    private void writeSpuriousVector(int value) {
        svr = value;
        if ((value & SVR_ENABLE) == 0) {
            // SDM 10.4.7.2: while software-disabled, every LVT entry is masked. Linux 6.1's setup_local_APIC writes
            // the SVR disabled first and then reads LINT0's mask to decide whether to keep firmware's virtual wire.
            for (int i = 0; i < lvt.length; i++) {
                lvt[i] |= LVT_MASKED;
            }
        }
    }

    private void writeLvt(int index, int value) {
        value &= LVT_WRITABLE[index];
        if ((svr & SVR_ENABLE) == 0) {
            value |= LVT_MASKED; // the mask bits cannot be cleared while the APIC is software-disabled
        }
        lvt[index] = value;
        if (index == TIMER) {
            timer.setMode(value >>> 17 & 3);
        }
    }

    // ---- priorities, acceptance and the INTA cycle (SDM 10.8) ----

    private int processorPriority() {
        int isrv = Math.max(0, isr.highest());
        return (tpr >>> 4) >= (isrv >>> 4) ? tpr : isrv & 0xf0;
    }

    private int arbitrationPriorityRegister() {
        int irrv = Math.max(0, irr.highest()), isrv = Math.max(0, isr.highest());
        if ((tpr >>> 4) >= (irrv >>> 4) && (tpr >>> 4) > (isrv >>> 4)) {
            return tpr;
        }
        return Math.max(tpr & 0xf0, Math.max(isrv & 0xf0, irrv & 0xf0));
    }

    /** The highest pending vector whose priority class is above the PPR's, or -1. */
    private int highestDeliverable() {
        int vector = irr.highest();
        return vector >= 0 && (vector >>> 4) > (processorPriority() >>> 4) ? vector : -1;
    }

    /** Whether the processor would be interrupted now if RFLAGS.IF allowed it (the INTR line). */
    public boolean hasInterrupt() {
        synchronized (this) {
            if (pendingExtInt || enabled && highestDeliverable() >= 0) {
                return true;
            }
            if (!listensToPic()) {
                return false;
            }
        }
        return lint0.getAsBoolean(); // asked without this APIC's lock held: the PIC has a lock of its own
    }

    /** The interrupt-acknowledge cycle: the vector to take now, or an ExtINT to be answered by the PIC. */
    public ApicInterrupt acknowledge() {
        synchronized (this) {
            int vector = enabled ? highestDeliverable() : -1;
            if (vector >= 0) {
                irr.clear(vector);
                isr.set(vector);
                return new ApicInterrupt.Vector(vector);
            }
            if (pendingExtInt) {
                pendingExtInt = false;
                return EXT_INT;
            }
            if (!listensToPic()) {
                return new ApicInterrupt.Vector(svr & 0xff); // nothing was deliverable any more: spurious
            }
        }
        return EXT_INT; // the PIC answers with its own spurious IR7 vector if its request went away
    }

    /** The PIC's INTR reaches the processor through an unmasked ExtINT LINT0, or directly when this APIC is off. */
    private boolean listensToPic() {
        return !enabled || (lvt[LINT0] & LVT_MASKED) == 0 && DeliveryMode.of(lvt[LINT0] >>> 8) == DeliveryMode.EXTINT;
    }

    /** Takes the most urgent pending signal (INIT, then STARTUP, then NMI if allowed), or null if there is none. */
    public synchronized ApicSignal pollSignal(boolean nmiAllowed) {
        if (pendingInit) {
            pendingInit = false;
            return new ApicSignal.Init();
        }
        if (pendingStartup >= 0) {
            int vector = pendingStartup;
            pendingStartup = -1;
            return new ApicSignal.Startup(vector);
        }
        if (nmiAllowed && pendingNmi) {
            pendingNmi = false;
            return new ApicSignal.Nmi();
        }
        return null;
    }

    /** Whether {@link #pollSignal} would return a signal: a halted processor wakes for these even with IF clear. */
    public synchronized boolean hasSignal(boolean nmiAllowed) {
        return pendingInit || pendingStartup >= 0 || nmiAllowed && pendingNmi;
    }

    /** CR8, the TPR's priority class as MOV CR8 sees it (bits 3:0 of CR8 are TPR bits 7:4). */
    public synchronized int cr8() {
        return tpr >>> 4;
    }

    /** MOV to CR8 (the CPU has already refused bits 63:4 with #GP): TPR[7:4] = value, TPR[3:0] = 0. */
    public synchronized void writeCr8(int value) {
        tpr = (value & 0xf) << 4;
    }

    private void endOfInterrupt() {
        int vector = isr.highest();
        if (vector < 0) {
            return;
        }
        isr.clear(vector);
        if (tmr.test(vector) && (svr & SVR_SUPPRESS_EOI_BROADCAST) == 0) {
            outgoingEoi = vector; // broadcast once this APIC's lock is released
        }
    }

    /** A message off the bus addressed to this APIC; returns whether it was accepted. */
    synchronized boolean accept(ApicMessage message) {
        if (!enabled) {
            return false;
        }
        switch (message.mode()) {
            case FIXED, LOWEST_PRIORITY -> {
                if ((svr & SVR_ENABLE) == 0) {
                    return false; // a software-disabled APIC takes only INIT, NMI, SMI and STARTUP
                }
                if (message.vector() < 16) {
                    error(ESR_RECEIVE_ILLEGAL_VECTOR);
                    return false;
                }
                request(message.vector(), message.levelTriggered());
                return true; // request() woke the processor
            }
            case NMI -> pendingNmi = true;
            case INIT -> {
                if (message.levelTriggered() && !message.assertion()) {
                    return true; // INIT level de-assert only resynchronises arbitration ids
                }
                resetRegisters(); // INIT resets all but the id and IA32_APIC_BASE (SDM 10.4.7.3)
                pendingInit = true;
                pendingStartup = -1;
                pendingNmi = false;
            }
            case STARTUP -> pendingStartup = message.vector();
            case EXTINT -> pendingExtInt = true;
            default -> {
                return false; // SMI (there is no SMM here) and the reserved mode
            }
        }
        wake.run();
        return true;
    }

    /** Whether the message's destination names this APIC (SDM 10.6.2; 10.12.10 for x2APIC). */
    synchronized boolean isDestination(ApicMessage message) {
        return enabled && message.names(id, x2apic, x2apic ? x2apicLogicalId() : ldr >>> 24, dfr >>> 28 == 0xf);
    }

    /** The APR for lowest-priority arbitration, or -1 if this APIC cannot take a fixed interrupt now. */
    synchronized int arbitrationPriority() {
        return enabled && (svr & SVR_ENABLE) != 0 ? arbitrationPriorityRegister() : -1;
    }

    /** Whether this APIC is the focus processor for {@code vector} (SDM 10.6.2.4). */
    synchronized boolean isFocusFor(int vector) {
        return enabled && (svr & (SVR_ENABLE | SVR_FOCUS_DISABLED)) == SVR_ENABLE && (irr.test(vector) || isr.test(vector));
    }

    private int x2apicLogicalId() {
        return (id >>> 4) << 16 | 1 << (id & 0xf);
    }

    /** The message the ICR now holds, to send; null for none (SDM 10.6.1, table 10-3). */
    private ApicMessage interprocessorInterrupt() {
        var message = ApicMessage.fromIcr(icrLow, x2apic ? icrHigh : icrHigh >>> 24, x2apic);
        var mode = message.mode();
        if (mode == DeliveryMode.RESERVED || mode == DeliveryMode.EXTINT || mode == DeliveryMode.SMI
                || message.shorthand() == Shorthand.SELF && mode != DeliveryMode.FIXED) { // invalid combinations
            return null;
        }
        if (mode.carriesVector() && message.vector() < 16) {
            error(ESR_SEND_ILLEGAL_VECTOR);
            return null;
        }
        return message;
    }

    /** Sends what a register write produced (an IPI, an EOI broadcast) once this APIC's lock is released. */
    private void sendOutgoing(ApicMessage ipi, int eoi) {
        if (ipi != null) {
            bus.deliver(ipi, this);
        }
        if (eoi >= 0) {
            bus.broadcastEoi(eoi);
        }
    }

    /** Sets the IRR bit (the TMR bit says the trigger mode) and wakes the processor. */
    private void request(int vector, boolean level) {
        irr.set(vector);
        tmr.set(vector, level);
        wake.run();
    }

    /** A local source (LVT entry) fires with {@code vector}. */
    private void requestLocal(int vector) {
        if (vector < 16) {
            error(ESR_RECEIVE_ILLEGAL_VECTOR);
        } else {
            request(vector, false);
        }
    }

    /** Records an error for the ESR and, if the error LVT entry allows, interrupts (once: no error loops). */
    private void error(int bits) {
        esrPending |= bits;
        int entry = lvt[ERROR];
        if ((entry & LVT_MASKED) == 0) {
            int vector = entry & 0xff;
            if (vector < 16) {
                esrPending |= ESR_RECEIVE_ILLEGAL_VECTOR;
            } else {
                request(vector, false);
            }
        }
    }

    /** Power-up, INIT and global disable: every register but the id (and IA32_APIC_BASE, kept by the caller). */
    private void resetRegisters() {
        tpr = ldr = esr = esrPending = icrLow = icrHigh = 0;
        dfr = -1;
        svr = 0xff;
        Arrays.fill(lvt, LVT_MASKED);
        irr.clearAll();
        isr.clearAll();
        tmr.clearAll();
        timer.reset();
        pendingExtInt = false;
    }

    // ---- the timer (its counting is ApicTimer's; whether an expiry interrupts is the LVT's) ----

    /** When the timer next expires, on the host's monotonic clock; Long.MAX_VALUE if it will not. */
    public synchronized long nextDeadlineNanos() {
        // A masked expiry interrupts nobody, so nobody need wake for it; the next access catches the count up.
        return enabled && (lvt[TIMER] & LVT_MASKED) == 0 ? timer.nextExpiryNanos() : Long.MAX_VALUE;
    }

    /** Delivers the timer expiries due by {@code nanos} (host monotonic time): at most one interrupt. */
    public synchronized void advanceTo(long nanos) {
        advanceTimer(nanos);
    }

    private void advanceTimer(long now) {
        if (enabled && timer.expireBy(now) && (lvt[TIMER] & LVT_MASKED) == 0) {
            requestLocal(lvt[TIMER] & 0xff);
        }
    }

    @Override
    public synchronized String toString() {
        return "local APIC " + id + (enabled ? x2apic ? " (x2APIC)" : " (xAPIC)" : " (disabled)");
    }
}
