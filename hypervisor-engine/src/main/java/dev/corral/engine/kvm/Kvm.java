package dev.corral.engine.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.corral.engine.sys.Libc;

/**
 * The KVM system device ({@code /dev/kvm}): checks it speaks API version 12, answers capability questions, and
 * creates VMs. Closing it does not affect the VMs created from it.
 */
public final class Kvm implements AutoCloseable {

    public static final String DEVICE = "/dev/kvm";
    /** KVM_CAP_* values of {@code <linux/kvm.h>}. */
    public static final int CAP_IRQCHIP = 0, CAP_USER_MEMORY = 3, CAP_SET_TSS_ADDR = 4, CAP_EXT_CPUID = 7, CAP_PIT2 = 33,
            CAP_IRQFD = 32, CAP_IOEVENTFD = 36, CAP_SIGNAL_MSI = 77, CAP_IMMEDIATE_EXIT = 136;

    private final int fd;
    private final int vcpuMmapSize;

    private Kvm(int fd) {
        this.fd = fd;
        int version = Libc.ioctl(fd, KvmIoctl.GET_API_VERSION, 0L, "KVM_GET_API_VERSION");
        if (version != KvmIoctl.API_VERSION) {
            Libc.close(fd);
            throw new KvmException("/dev/kvm speaks KVM API version " + version + "; this engine speaks " + KvmIoctl.API_VERSION);
        }
        vcpuMmapSize = Libc.ioctl(fd, KvmIoctl.GET_VCPU_MMAP_SIZE, 0L, "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** Opens {@code /dev/kvm}; a host without it is a {@link dev.corral.engine.sys.SysException} naming the path and errno. */
    public static Kvm open() {
        return open(DEVICE);
    }

    public static Kvm open(String device) {
        return new Kvm(Libc.open(device, Libc.O_RDWR | Libc.O_CLOEXEC));
    }

    /** {@code KVM_CHECK_EXTENSION}: 0 when the capability is missing, else a capability-specific positive value. */
    public int checkExtension(int capability) {
        return Libc.ioctl(fd, KvmIoctl.CHECK_EXTENSION, capability, "KVM_CHECK_EXTENSION(" + capability + ")");
    }

    /** Bytes to map of each vCPU's fd: the kvm_run page and what follows it (the PIO data page, ...). */
    public int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /** {@code KVM_GET_SUPPORTED_CPUID}: the CPUID leaves KVM can offer guests on this host. */
    public java.util.List<CpuidEntry> supportedCpuid() {
        int max = 256;
        try (var arena = Arena.ofConfined()) {
            var cpuid = arena.allocate(KvmStructs.CPUID2_HEADER.byteSize() + max * KvmStructs.CPUID_ENTRY2.byteSize(), 8);
            cpuid.set(ValueLayout.JAVA_INT, 0, max);
            Libc.ioctl(fd, KvmIoctl.GET_SUPPORTED_CPUID, cpuid, "KVM_GET_SUPPORTED_CPUID");
            int n = cpuid.get(ValueLayout.JAVA_INT, 0);
            var entries = new java.util.ArrayList<CpuidEntry>(n);
            for (int i = 0; i < n; i++) {
                MemorySegment e = cpuid.asSlice(KvmStructs.CPUID2_HEADER.byteSize() + i * KvmStructs.CPUID_ENTRY2.byteSize());
                entries.add(new CpuidEntry(e.get(ValueLayout.JAVA_INT, 0), e.get(ValueLayout.JAVA_INT, 4), e.get(ValueLayout.JAVA_INT, 8),
                        e.get(ValueLayout.JAVA_INT, 12), e.get(ValueLayout.JAVA_INT, 16), e.get(ValueLayout.JAVA_INT, 20),
                        e.get(ValueLayout.JAVA_INT, 24)));
            }
            return java.util.List.copyOf(entries);
        }
    }

    /** {@code KVM_CREATE_VM}: a new, empty VM (no memory, no vCPUs). Closing this Kvm afterwards does not affect it. */
    public VmFd createVm() {
        return new VmFd(Libc.ioctl(fd, KvmIoctl.CREATE_VM, 0L, "KVM_CREATE_VM"), vcpuMmapSize);
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
