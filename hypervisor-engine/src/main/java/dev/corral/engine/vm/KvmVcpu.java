package dev.corral.engine.vm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;

import dev.corral.engine.kvm.KvmStructs;
import dev.corral.engine.kvm.VcpuExit;
import dev.corral.engine.kvm.VcpuFd;
import dev.corral.engine.sys.ThreadKick;

/**
 * A KVM vCPU behind the {@link Vcpu} interface: KVM_RUN, with each exit turned into what the vCPU loop and the
 * {@link ExitDispatcher} understand. String port I/O (one exit for {@code rep outsb}) is handed out one element at a
 * time, so the buses see single accesses as they do from the software CPU. The vCPU is built by {@link KvmBackend}.
 */
final class KvmVcpu implements Vcpu {

    private static final Exit BUDGET_SPENT = new Exit.BudgetSpent();
    private static final Exit HALT = new Exit.Halt();
    private static final Exit RESET = new Exit.Reset();
    private static final long MMIO_DATA = KvmStructs.RUN_EXIT_UNION + KvmStructs.RUN_MMIO.byteOffset(PathElement.groupElement("data"));
    private static final long RIP = KvmStructs.REGS.byteOffset(PathElement.groupElement("rip"));
    private static final int INT3 = 0xcc, BREAKPOINT_VECTOR = 3, FWAIT = 0x9b, MATH_FAULT_VECTOR = 16;
    private static final long FSW = KvmStructs.FPU.byteOffset(PathElement.groupElement("fsw"));
    /** FSW.ES: an unmasked x87 exception is pending; FWAIT then raises #MF instead of going on. */
    private static final int FSW_ERROR_SUMMARY = 1 << 7;

    private final VcpuFd fd;
    private final MemorySegment run;
    /** Set with the userspace irqchip: kicks a vCPU busy in KVM_RUN when the Java 8254's next edge is due. */
    private final DeadlineTimer timer;
    private final MemorySegment regs = Arena.ofAuto().allocate(KvmStructs.REGS);
    private final MemorySegment events = Arena.ofAuto().allocate(KvmStructs.VCPU_EVENTS);
    private final MemorySegment fpu = Arena.ofAuto().allocate(KvmStructs.FPU);

    /** The port I/O exit being handed out element by element, and the element the last PortIo exit was. */
    private VcpuExit.Io io;
    private int ioElement;
    private int mmioReadLength;

    private final Object threadLock = new Object();
    // Guarded by threadLock: the thread in run(), while it may be signalled (a pthread_t of an ended thread dangles),
    // and whether the vCPU's kvm_run page is gone.
    private Thread owner;
    private long pthread;
    private boolean closed;

    KvmVcpu(VcpuFd fd, boolean userspaceIrqchip, String name) {
        this.fd = fd;
        this.run = fd.runPage();
        this.timer = userspaceIrqchip ? new DeadlineTimer(name + "-timer", this::kick) : null;
    }

    /** The KVM vCPU underneath, for the backend and its tests (its local APIC's state). */
    VcpuFd fd() {
        return fd;
    }

    @Override
    public Exit run(long budget, long deadlineNanos) {
        if (io != null && ioElement + 1 < io.count()) {
            ioElement++;
            return ioElementExit();
        }
        io = null;
        if (timer != null) {
            timer.arm(deadlineNanos);
        }
        VcpuExit exit = fd.run();
        // Whatever brought KVM_RUN back, the loop now looks at every request: a kick's job is done.
        fd.setImmediateExit(false);
        fd.requestInterruptWindow(false);
        return switch (exit) {
            case VcpuExit.Io e -> {
                io = e;
                ioElement = 0;
                yield ioElementExit();
            }
            case VcpuExit.Mmio m -> mmio(m);
            case VcpuExit.Halt h -> HALT;
            case VcpuExit.Interrupted i -> BUDGET_SPENT;
            case VcpuExit.InterruptWindowOpen w -> BUDGET_SPENT;
            case VcpuExit.Shutdown s -> new Exit.Shutdown("triple fault on vCPU " + fd.id() + " (KVM_EXIT_SHUTDOWN)");
            case VcpuExit.InternalError e -> internalError(e);
            case VcpuExit.FailEntry f -> new Exit.Failed(String.format("KVM could not enter vCPU %d: hardware entry failure reason 0x%x",
                    fd.id(), f.hardwareReason()));
            case VcpuExit.SystemEvent e -> switch (e.type()) {
                case VcpuExit.SYSTEM_EVENT_SHUTDOWN, VcpuExit.SYSTEM_EVENT_RESET -> RESET;
                case VcpuExit.SYSTEM_EVENT_CRASH -> new Exit.Shutdown("the guest reported a crash to KVM (vCPU " + fd.id() + ")");
                default -> new Exit.Failed("KVM reported system event " + e.type() + " on vCPU " + fd.id());
            };
            case VcpuExit.Other o -> new Exit.Failed("KVM_RUN returned exit reason " + o.reason() + " on vCPU " + fd.id()
                    + ", which this engine does not handle");
        };
    }

    private Exit ioElementExit() {
        int size = io.size();
        long at = io.dataOffset() + (long) ioElement * size;
        int value = 0;
        if (io.out()) {
            for (int i = 0; i < size; i++) {
                value |= (run.get(ValueLayout.JAVA_BYTE, at + i) & 0xff) << (8 * i);
            }
        }
        return new Exit.PortIo(!io.out(), io.port(), size, value);
    }

    @Override
    public void completePortIn(int value) {
        long at = io.dataOffset() + (long) ioElement * io.size();
        for (int i = 0; i < io.size(); i++) {
            run.set(ValueLayout.JAVA_BYTE, at + i, (byte) (value >>> (8 * i)));
        }
    }

    private Exit mmio(VcpuExit.Mmio m) {
        int length = m.length();
        if (length != 1 && length != 2 && length != 4 && length != 8) {
            // KVM splits accesses into fragments of up to 8 bytes; an odd-sized one (an unaligned access across a page
            // end) reads as a floating bus and its write is dropped, as an unclaimed address would be.
            if (!m.write()) {
                run.asSlice(MMIO_DATA, 8).fill((byte) 0xff);
            }
            return BUDGET_SPENT;
        }
        if (!m.write()) {
            mmioReadLength = length;
        }
        return new Exit.Mmio(m.write(), m.address(), length, m.data());
    }

    @Override
    public void completeMmioRead(long value) {
        for (int i = 0; i < mmioReadLength; i++) {
            run.set(ValueLayout.JAVA_BYTE, MMIO_DATA + i, (byte) (value >>> (8 * i)));
        }
    }

    /**
     * KVM could not go on. Two cases are not the guest's fault and are stepped over, doing what the CPU would have done:
     * on kvm_pvm every guest ring-0 instruction goes through KVM's instruction emulator, which cannot emulate
     * <ul>
     * <li>{@code int3} (measured: the Debian 6.1 kernel's int3_selftest() ends QEMU there with KVM_EXIT_INTERNAL_ERROR,
     * suberror 1; REFERENCE-MEASUREMENTS.md). INT3 is a trap: RIP past the one-byte instruction, then #BP injected with
     * KVM_SET_VCPU_EVENTS; the kernel's handler then runs as on hardware (seen here: the kernel went on to "Freeing SMP
     * alternatives memory");</li>
     * <li>{@code fwait} (measured here: the same kernel stopped at a 9b byte right after "smpboot: Total of 1
     * processors activated"). FWAIT only checks for a pending unmasked x87 exception: if FSW.ES says there is one,
     * #MF is injected with RIP left on the instruction (a fault); else RIP moves past it.</li>
     * </ul>
     */
    private Exit internalError(VcpuExit.InternalError e) {
        fd.getRegs(regs);
        long rip = regs.get(ValueLayout.JAVA_LONG, RIP);
        byte[] instruction = e.instructionBytes();
        int first = instruction.length > 0 && e.suberror() == VcpuExit.INTERNAL_ERROR_EMULATION ? instruction[0] & 0xff : -1;
        if (first == INT3) {
            stepOver(rip);
            inject(BREAKPOINT_VECTOR);
            return BUDGET_SPENT;
        }
        if (first == FWAIT) {
            fd.getFpu(fpu);
            if ((fpu.get(ValueLayout.JAVA_SHORT, FSW) & FSW_ERROR_SUMMARY) != 0) {
                inject(MATH_FAULT_VECTOR);
            } else {
                stepOver(rip);
            }
            return BUDGET_SPENT;
        }
        String what = e.suberror() == VcpuExit.INTERNAL_ERROR_EMULATION ? "KVM could not emulate the instruction"
                : "KVM failed with internal error " + e.suberror();
        return new Exit.Failed(String.format("%s at RIP 0x%x on vCPU %d%s", what, rip, fd.id(),
                instruction.length == 0 ? "" : " (bytes " + HexFormat.ofDelimiter(" ").formatHex(instruction) + ")"));
    }

    /** RIP past a one-byte instruction (regs as read at the exit). */
    private void stepOver(long rip) {
        regs.set(ValueLayout.JAVA_LONG, RIP, rip + 1);
        fd.setRegs(regs);
    }

    /** Injects exception {@code vector}, which has no error code, to be delivered before the next instruction. */
    private void inject(int vector) {
        fd.getVcpuEvents(events);
        events.set(ValueLayout.JAVA_BYTE, offset("exception_injected"), (byte) 1);
        events.set(ValueLayout.JAVA_BYTE, offset("exception_nr"), (byte) vector);
        events.set(ValueLayout.JAVA_BYTE, offset("exception_has_error_code"), (byte) 0);
        events.set(ValueLayout.JAVA_BYTE, offset("exception_pending"), (byte) 0);
        events.set(ValueLayout.JAVA_INT, offset("flags"), 0); // no VALID_* flag: leave NMI, SIPI and SMM state alone
        fd.setVcpuEvents(events);
    }

    private static long offset(String field) {
        return KvmStructs.VCPU_EVENTS.byteOffset(PathElement.groupElement(field));
    }

    @Override
    public boolean interruptible() {
        return fd.readyForInterrupt();
    }

    @Override
    public void injectInterrupt(int vector) {
        fd.interrupt(vector);
    }

    @Override
    public void requestInterruptWindow() {
        fd.requestInterruptWindow(true);
    }

    /**
     * immediate_exit first, so a vCPU about to enter KVM_RUN comes straight back; then the signal, for one inside it.
     * The vCPU's own thread needs neither signal: it is not in KVM_RUN, and looks at everything before it goes back.
     */
    @Override
    public void kick() {
        synchronized (threadLock) {
            if (closed) {
                return; // a device's late interrupt after the VM was closed: nothing left to wake
            }
            fd.setImmediateExit(true);
            if (owner != null && owner != Thread.currentThread()) {
                ThreadKick.kick(pthread);
            }
        }
    }

    @Override
    public void attachThread() {
        long self = ThreadKick.currentThread();
        synchronized (threadLock) {
            pthread = self;
            owner = Thread.currentThread();
        }
    }

    @Override
    public void detachThread() {
        synchronized (threadLock) {
            owner = null;
        }
    }

    /** Frees the vCPU: its timer, its kvm_run mapping and fd. After its thread has ended. */
    void close() {
        if (timer != null) {
            timer.close();
        }
        synchronized (threadLock) {
            closed = true;
        }
        fd.close();
    }
}
