package dev.corral.engine.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.corral.engine.sys.Libc;
import dev.corral.engine.sys.SysException;

/**
 * A KVM VM's file descriptor: its guest memory slots, its in-kernel interrupt controllers, and the vCPUs made from it.
 * Memory slots point at host mappings the caller owns and must keep mapped until this VM is closed.
 *
 * <p>{@link #setIrqLine} and {@link #signalMsi} may be called from any thread (devices raise interrupts from their own,
 * while vCPU threads sit in KVM_RUN); everything else is set up once, by the thread building the VM.
 */
public final class VmFd implements AutoCloseable {

    /** KVM_PIT_SPEAKER_DUMMY: port 0x61 speaker bits answered by the kernel, so no exit per read of it. */
    static final int PIT_SPEAKER_DUMMY = 1;

    private final int fd;
    private final int vcpuMmapSize;
    /** The argument of KVM_IRQ_LINE, guarded by this: no allocation per interrupt. */
    private final MemorySegment irqLevel = Arena.ofAuto().allocate(KvmStructs.IRQ_LEVEL);
    /** The argument of KVM_SIGNAL_MSI, guarded by this (an automatic arena: any thread may touch it). */
    private final MemorySegment msi = Arena.ofAuto().allocate(KvmStructs.MSI);
    private boolean closed;

    VmFd(int fd, int vcpuMmapSize) {
        this.fd = fd;
        this.vcpuMmapSize = vcpuMmapSize;
    }

    /**
     * {@code KVM_SET_TSS_ADDR}: three pages of guest-physical space, below 4 GiB and outside every memory slot, that
     * Intel's VMX uses for real-mode emulation. Harmless elsewhere.
     */
    public void setTssAddress(long address) {
        Libc.ioctl(fd, KvmIoctl.SET_TSS_ADDR, address, "KVM_SET_TSS_ADDR(0x" + Long.toHexString(address) + ")");
    }

    /** {@code KVM_CREATE_IRQCHIP}: the two 8259As, the IOAPIC and a local APIC per vCPU, in the kernel. Before any vCPU. */
    public void createIrqchip() {
        Libc.ioctl(fd, KvmIoctl.CREATE_IRQCHIP, 0L, "KVM_CREATE_IRQCHIP");
    }

    /** {@code KVM_CREATE_PIT2}: the 8254 at ports 0x40-0x43, in the kernel, on IRQ 0. After the irqchip. */
    public void createPit2() {
        try (var arena = Arena.ofConfined()) {
            var config = arena.allocate(KvmStructs.PIT_CONFIG);
            config.set(ValueLayout.JAVA_INT, 0, PIT_SPEAKER_DUMMY);
            Libc.ioctl(fd, KvmIoctl.CREATE_PIT2, config, "KVM_CREATE_PIT2");
        }
    }

    /**
     * {@code KVM_IRQ_LINE}: drives GSI {@code irq} of the in-kernel irqchip high or low. Any thread; once the VM is
     * closed a device's late interrupt is dropped (its fd number may already name another file).
     */
    public synchronized void setIrqLine(int irq, boolean level) {
        if (closed) {
            return;
        }
        irqLevel.set(ValueLayout.JAVA_INT, 0, irq);
        irqLevel.set(ValueLayout.JAVA_INT, 4, level ? 1 : 0);
        Libc.ioctl(fd, KvmIoctl.IRQ_LINE, irqLevel, "KVM_IRQ_LINE");
    }

    /**
     * {@code KVM_SIGNAL_MSI}: the in-kernel local APICs take the message {@code data} written to {@code address} as a
     * PCI function's MSI would reach them (the kernel decodes destination, mode and vector). Needs the in-kernel
     * irqchip. Any thread. Returns how many local APICs accepted it: 0 when none did (the destination's APIC is
     * software-disabled, or no APIC has that id) and when the VM is already closed (a device's late interrupt).
     *
     * @throws SysException naming KVM_SIGNAL_MSI and the errno when KVM refuses the message (no irqchip: ENXIO)
     */
    public synchronized int signalMsi(long address, int data) {
        if (closed) {
            return 0;
        }
        msi.set(ValueLayout.JAVA_INT, 0, (int) address);
        msi.set(ValueLayout.JAVA_INT, 4, (int) (address >>> 32));
        msi.set(ValueLayout.JAVA_INT, 8, data);
        // flags (no KVM_MSI_VALID_DEVID: x86 routes by address alone), devid and pad stay zero, as allocated
        return Libc.ioctl(fd, KvmIoctl.SIGNAL_MSI, msi, "KVM_SIGNAL_MSI");
    }

    /**
     * {@code KVM_SET_USER_MEMORY_REGION}: guest-physical {@code [guestAddress, guestAddress + host.byteSize())} is the
     * host memory {@code host}, which must stay mapped while this VM lives.
     */
    public void setUserMemoryRegion(int slot, long guestAddress, MemorySegment host) {
        try (var arena = Arena.ofConfined()) {
            var region = arena.allocate(KvmStructs.USERSPACE_MEMORY_REGION);
            region.set(ValueLayout.JAVA_INT, 0, slot);
            region.set(ValueLayout.JAVA_INT, 4, 0);
            region.set(ValueLayout.JAVA_LONG, 8, guestAddress);
            region.set(ValueLayout.JAVA_LONG, 16, host.byteSize());
            region.set(ValueLayout.JAVA_LONG, 24, host.address());
            Libc.ioctl(fd, KvmIoctl.SET_USER_MEMORY_REGION, region, "KVM_SET_USER_MEMORY_REGION(slot " + slot + ", 0x"
                    + Long.toHexString(guestAddress) + ", " + host.byteSize() + " bytes)");
        }
    }

    /** {@code KVM_CREATE_VCPU} with {@code id} (which is also its initial local APIC id), its kvm_run page mapped. */
    public VcpuFd createVcpu(int id) {
        int vcpu = Libc.ioctl(fd, KvmIoctl.CREATE_VCPU, id, "KVM_CREATE_VCPU(" + id + ")");
        var arena = Arena.ofShared();
        try {
            // SAFETY: the mapping is exactly vcpuMmapSize bytes; the arena unmaps it once, when the vCPU is closed, and
            // from then on every access through the segment throws instead of touching unmapped memory.
            return new VcpuFd(vcpu, id, Libc.mmapShared(vcpu, vcpuMmapSize).reinterpret(arena, Libc::munmap), arena);
        } catch (RuntimeException e) {
            arena.close();
            Libc.close(vcpu);
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Libc.close(fd);
        }
    }
}
