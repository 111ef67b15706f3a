package dev.corral.engine.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;

import dev.corral.engine.sys.Errno;
import dev.corral.engine.sys.Libc;
import dev.corral.engine.sys.SysException;

/**
 * One KVM vCPU: its file descriptor and its {@code kvm_run} page, mapped once for the vCPU's life. {@link #run} and the
 * state ioctls belong to the vCPU's own thread; {@link #setImmediateExit} may be called from any thread (that is how
 * another thread makes a running vCPU come back).
 */
public final class VcpuFd implements AutoCloseable {

    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();
    private static final VcpuExit INTERRUPTED = new VcpuExit.Interrupted();

    private final int fd;
    private final int id;
    private final MemorySegment run;
    /** Owns the kvm_run mapping: closing it unmaps the page and makes later accesses fail instead of crashing. */
    private final Arena arena;
    private final MemorySegment interrupt = Arena.ofAuto().allocate(KvmStructs.INTERRUPT);
    private boolean closed;

    VcpuFd(int fd, int id, MemorySegment run, Arena arena) {
        this.fd = fd;
        this.id = id;
        this.run = run;
        this.arena = arena;
    }

    public int id() {
        return id;
    }

    /**
     * {@code KVM_RUN}: runs the guest until it needs this process, and decodes why it came back. A signal or
     * {@code immediate_exit} is {@link VcpuExit.Interrupted}, and so is EAGAIN: an application processor still waiting
     * for INIT/SIPI in the in-kernel local APIC wakes with it when an event arrived, and is to be run again. Any other
     * failure of the call is a SysException.
     */
    public VcpuExit run() {
        int result = Libc.ioctlOrErrno(fd, KvmIoctl.RUN, 0L);
        if (result == -Errno.EINTR || result == -Errno.EAGAIN) {
            return INTERRUPTED;
        }
        if (result < 0) {
            throw new SysException("KVM_RUN (vCPU " + id + ")", -result);
        }
        return VcpuExit.decode(run);
    }

    /** The kvm_run page and what follows it (port I/O data lives at {@link VcpuExit.Io#dataOffset}). */
    public MemorySegment runPage() {
        return run;
    }

    /**
     * {@code kvm_run.immediate_exit}: while set, KVM_RUN returns EINTR at once instead of entering the guest. Set it
     * before signalling the vCPU's thread, so a signal that lands just before KVM_RUN is not lost; clear it on the
     * vCPU thread once the reason has been seen. Volatile, so the order of the two is what each thread sees.
     */
    public void setImmediateExit(boolean value) {
        BYTE.setVolatile(run, KvmStructs.RUN_IMMEDIATE_EXIT, (byte) (value ? 1 : 0));
    }

    /** {@code kvm_run.request_interrupt_window}: exit as soon as the guest can take an interrupt (userspace irqchip). */
    public void requestInterruptWindow(boolean value) {
        run.set(ValueLayout.JAVA_BYTE, KvmStructs.RUN_REQUEST_INTERRUPT_WINDOW, (byte) (value ? 1 : 0));
    }

    /** {@code kvm_run.ready_for_interrupt_injection && kvm_run.if_flag}, as of the last exit. */
    public boolean readyForInterrupt() {
        return run.get(ValueLayout.JAVA_BYTE, KvmStructs.RUN_READY_FOR_INTERRUPT_INJECTION) != 0
                && run.get(ValueLayout.JAVA_BYTE, KvmStructs.RUN_IF_FLAG) != 0;
    }

    /** {@code KVM_INTERRUPT}: queues external interrupt {@code vector} (userspace irqchip only). */
    public void interrupt(int vector) {
        interrupt.set(ValueLayout.JAVA_INT, 0, vector);
        Libc.ioctl(fd, KvmIoctl.INTERRUPT, interrupt, "KVM_INTERRUPT");
    }

    public void getRegs(MemorySegment regs) {
        Libc.ioctl(fd, KvmIoctl.GET_REGS, regs, "KVM_GET_REGS");
    }

    public void setRegs(MemorySegment regs) {
        Libc.ioctl(fd, KvmIoctl.SET_REGS, regs, "KVM_SET_REGS");
    }

    public void getSregs(MemorySegment sregs) {
        Libc.ioctl(fd, KvmIoctl.GET_SREGS, sregs, "KVM_GET_SREGS");
    }

    public void setSregs(MemorySegment sregs) {
        Libc.ioctl(fd, KvmIoctl.SET_SREGS, sregs, "KVM_SET_SREGS");
    }

    public void getFpu(MemorySegment fpu) {
        Libc.ioctl(fd, KvmIoctl.GET_FPU, fpu, "KVM_GET_FPU");
    }

    public void setFpu(MemorySegment fpu) {
        Libc.ioctl(fd, KvmIoctl.SET_FPU, fpu, "KVM_SET_FPU");
    }

    public void getVcpuEvents(MemorySegment events) {
        Libc.ioctl(fd, KvmIoctl.GET_VCPU_EVENTS, events, "KVM_GET_VCPU_EVENTS");
    }

    public void setVcpuEvents(MemorySegment events) {
        Libc.ioctl(fd, KvmIoctl.SET_VCPU_EVENTS, events, "KVM_SET_VCPU_EVENTS");
    }

    public void getLapic(MemorySegment lapic) {
        Libc.ioctl(fd, KvmIoctl.GET_LAPIC, lapic, "KVM_GET_LAPIC");
    }

    public void setLapic(MemorySegment lapic) {
        Libc.ioctl(fd, KvmIoctl.SET_LAPIC, lapic, "KVM_SET_LAPIC");
    }

    /** {@code KVM_SET_CPUID2}: what CPUID answers in this vCPU. Set before anything else about the vCPU. */
    public void setCpuid(List<CpuidEntry> entries) {
        try (var arena = Arena.ofConfined()) {
            long entry = KvmStructs.CPUID_ENTRY2.byteSize();
            var cpuid = arena.allocate(KvmStructs.CPUID2_HEADER.byteSize() + entries.size() * entry, 8);
            cpuid.set(ValueLayout.JAVA_INT, 0, entries.size());
            for (int i = 0; i < entries.size(); i++) {
                var e = entries.get(i);
                var at = cpuid.asSlice(KvmStructs.CPUID2_HEADER.byteSize() + i * entry, entry);
                at.set(ValueLayout.JAVA_INT, 0, e.function());
                at.set(ValueLayout.JAVA_INT, 4, e.index());
                at.set(ValueLayout.JAVA_INT, 8, e.flags());
                at.set(ValueLayout.JAVA_INT, 12, e.eax());
                at.set(ValueLayout.JAVA_INT, 16, e.ebx());
                at.set(ValueLayout.JAVA_INT, 20, e.ecx());
                at.set(ValueLayout.JAVA_INT, 24, e.edx());
            }
            Libc.ioctl(fd, KvmIoctl.SET_CPUID2, cpuid, "KVM_SET_CPUID2");
        }
    }

    /**
     * {@code KVM_SET_MSRS}: sets each {@code msrs[i] = {index, value}}. KVM stops at the first MSR it refuses; that
     * one is named in the KvmException.
     */
    public void setMsrs(long[][] msrs) {
        try (var arena = Arena.ofConfined()) {
            long entry = KvmStructs.MSR_ENTRY.byteSize();
            var arg = arena.allocate(KvmStructs.MSRS_HEADER.byteSize() + msrs.length * entry, 8);
            arg.set(ValueLayout.JAVA_INT, 0, msrs.length);
            for (int i = 0; i < msrs.length; i++) {
                long at = KvmStructs.MSRS_HEADER.byteSize() + i * entry;
                arg.set(ValueLayout.JAVA_INT, at, (int) msrs[i][0]);
                arg.set(ValueLayout.JAVA_LONG, at + 8, msrs[i][1]);
            }
            int set = Libc.ioctl(fd, KvmIoctl.SET_MSRS, arg, "KVM_SET_MSRS");
            if (set < msrs.length) {
                throw new KvmException(String.format("KVM refused MSR 0x%x = 0x%x on vCPU %d", msrs[set][0], msrs[set][1], id));
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
            Libc.close(fd);
        }
    }
}
