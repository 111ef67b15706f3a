package dev.corral.engine.kvm;

/**
 * The KVM ioctl request numbers, encoded as {@code <asm-generic/ioctl.h>}'s {@code _IO/_IOR/_IOW/_IOWR} do for
 * {@code KVMIO} (0xAE) in {@code <linux/kvm.h>}; the sizes are those of the argument structs in
 * {@link KvmStructs}. KvmAbiTest compiles the C header with gcc and checks every number here against it.
 */
public final class KvmIoctl {

    static final int KVMIO = 0xae;
    private static final int NONE = 0, WRITE = 1, READ = 2;

    // System (/dev/kvm)
    public static final long GET_API_VERSION = io(0x00);
    public static final long CREATE_VM = io(0x01);
    public static final long CHECK_EXTENSION = io(0x03);
    public static final long GET_VCPU_MMAP_SIZE = io(0x04);
    public static final long GET_SUPPORTED_CPUID = iowr(0x05, KvmStructs.CPUID2_HEADER.byteSize());
    // VM
    public static final long CREATE_VCPU = io(0x41);
    public static final long SET_USER_MEMORY_REGION = iow(0x46, KvmStructs.USERSPACE_MEMORY_REGION.byteSize());
    public static final long SET_TSS_ADDR = io(0x47);
    public static final long CREATE_IRQCHIP = io(0x60);
    public static final long IRQ_LINE = iow(0x61, KvmStructs.IRQ_LEVEL.byteSize());
    public static final long IRQFD = iow(0x76, KvmStructs.IRQFD.byteSize());
    public static final long CREATE_PIT2 = iow(0x77, KvmStructs.PIT_CONFIG.byteSize());
    public static final long IOEVENTFD = iow(0x79, KvmStructs.IOEVENTFD.byteSize());
    public static final long SIGNAL_MSI = iow(0xa5, KvmStructs.MSI.byteSize());
    // vCPU
    public static final long RUN = io(0x80);
    public static final long GET_REGS = ior(0x81, KvmStructs.REGS.byteSize());
    public static final long SET_REGS = iow(0x82, KvmStructs.REGS.byteSize());
    public static final long GET_SREGS = ior(0x83, KvmStructs.SREGS.byteSize());
    public static final long SET_SREGS = iow(0x84, KvmStructs.SREGS.byteSize());
    public static final long INTERRUPT = iow(0x86, KvmStructs.INTERRUPT.byteSize());
    public static final long GET_MSRS = iowr(0x88, KvmStructs.MSRS_HEADER.byteSize());
    public static final long SET_MSRS = iow(0x89, KvmStructs.MSRS_HEADER.byteSize());
    public static final long GET_FPU = ior(0x8c, KvmStructs.FPU.byteSize());
    public static final long SET_FPU = iow(0x8d, KvmStructs.FPU.byteSize());
    public static final long GET_LAPIC = ior(0x8e, KvmStructs.LAPIC_STATE.byteSize());
    public static final long SET_LAPIC = iow(0x8f, KvmStructs.LAPIC_STATE.byteSize());
    public static final long SET_CPUID2 = iow(0x90, KvmStructs.CPUID2_HEADER.byteSize());
    public static final long GET_VCPU_EVENTS = ior(0x9f, KvmStructs.VCPU_EVENTS.byteSize());
    public static final long SET_VCPU_EVENTS = iow(0xa0, KvmStructs.VCPU_EVENTS.byteSize());

    /** The API version every KVM since Linux 2.6.22 reports; anything else is not the API this code speaks. */
    public static final int API_VERSION = 12;

    private KvmIoctl() {
    }

    private static long ioc(int dir, int nr, long size) {
        return ((long) dir << 30) | (size << 16) | ((long) KVMIO << 8) | nr;
    }

    private static long io(int nr) {
        return ioc(NONE, nr, 0);
    }

    private static long ior(int nr, long size) {
        return ioc(READ, nr, size);
    }

    private static long iow(int nr, long size) {
        return ioc(WRITE, nr, size);
    }

    private static long iowr(int nr, long size) {
        return ioc(READ | WRITE, nr, size);
    }
}
