package dev.corral.engine.kvm;

import java.util.ArrayList;
import java.util.List;

/**
 * What CPUID tells one vCPU: KVM_GET_SUPPORTED_CPUID (what this host's KVM can run), narrowed to the machine the
 * VM really is and made specific to the vCPU (its APIC id, the VM's CPU count). Pure, so it is tested without KVM.
 */
public final class KvmCpuid {

    static final int LEAF1_ECX_CX16 = 1 << 13, LEAF1_ECX_X2APIC = 1 << 21, LEAF1_ECX_TSC_DEADLINE = 1 << 24,
            LEAF1_ECX_XSAVE = 1 << 26, LEAF1_ECX_OSXSAVE = 1 << 27, LEAF1_ECX_HYPERVISOR = 1 << 31;
    static final int LEAF1_EDX_APIC = 1 << 9, LEAF1_EDX_HTT = 1 << 28;
    static final int LEAF7_EDX_ARCH_CAPABILITIES = 1 << 29;

    /**
     * What the VM offers beyond KVM's list.
     *
     * <p>Measured on the kvm_pvm host this was written on: the guest's CPUID leaves 1 and 7 report the host's feature
     * bits whatever KVM_SET_CPUID2 says (XSAVE and SMAP show although hidden here; CMPXCHG16B and PCID are hidden by
     * kvm_pvm itself), while EBX of leaf 1 (APIC id, CPU count) is ours. So there the kernel command line is what keeps
     * Linux off those instructions ({@code KvmBackend.kernelCmdline}); the policy still tells KVM itself (which decides
     * the local APIC's timer modes from it) and any KVM that honours it.
     *
     * @param localApic            the vCPUs have local APICs (KVM's in-kernel irqchip); without it APIC, x2APIC and
     *                             the TSC-deadline timer are hidden: there is nothing behind them
     * @param hideCx16             hide CMPXCHG16B. Measured on a kvm_pvm host (REFERENCE-MEASUREMENTS.md): KVM's
     *                             instruction emulator, which runs all guest ring-0 code there, fails on
     *                             {@code lock cmpxchg16b} with KVM_EXIT_INTERNAL_ERROR (emulation)
     * @param hideXsave            hide XSAVE (and leaf 0xd). Measured on kvm_pvm: the emulator fails on {@code xrstor}
     * @param hideArchCapabilities hide IA32_ARCH_CAPABILITIES (CPUID.7.0:EDX[29]). Measured on kvm_pvm: QEMU refuses
     *                             {@code -cpu host} because MSR 0x10a cannot be read there; a guest told it exists
     *                             would read it
     */
    public record Policy(boolean localApic, boolean hideCx16, boolean hideXsave, boolean hideArchCapabilities) {

        /** What a VM needs on a host: with or without local APICs, and with the kvm_pvm workarounds where they apply. */
        public static Policy of(boolean localApic, boolean pvm) {
            return new Policy(localApic, pvm, pvm, pvm);
        }
    }

    private KvmCpuid() {
    }

    /** The CPUID entries for the vCPU whose APIC id is {@code apicId}, in a VM of {@code vcpus} vCPUs. */
    public static List<CpuidEntry> forVcpu(List<CpuidEntry> supported, int apicId, int vcpus, Policy policy) {
        if (apicId < 0 || apicId > 254 || vcpus < 1 || vcpus > 255) {
            throw new IllegalArgumentException("APIC id " + apicId + " of " + vcpus + " vCPUs is out of range");
        }
        var result = new ArrayList<CpuidEntry>(supported.size());
        for (var e : supported) {
            switch (e.function()) {
                case 0x1 -> result.add(leaf1(e, apicId, vcpus, policy));
                case 0x7 -> result.add(e.index() == 0 && policy.hideArchCapabilities()
                        ? e.withEdx(e.edx() & ~LEAF7_EDX_ARCH_CAPABILITIES) : e);
                case 0xd -> {
                    if (!policy.hideXsave()) {
                        result.add(e);
                    }
                }
                // x2APIC topology: EDX is the x2APIC id of the CPU asking, in every subleaf.
                case 0xb, 0x1f -> result.add(e.withEdx(apicId));
                case 0x8000001e -> result.add(e.withEax(apicId));
                default -> result.add(e);
            }
        }
        return List.copyOf(result);
    }

    private static CpuidEntry leaf1(CpuidEntry e, int apicId, int vcpus, Policy policy) {
        // EBX: initial APIC id, logical processors per package, CLFLUSH line size in 8-byte units (64 bytes).
        int ebx = (apicId << 24) | (vcpus << 16) | (8 << 8) | (e.ebx() & 0xff);
        int ecx = e.ecx() | LEAF1_ECX_HYPERVISOR;
        int edx = vcpus > 1 ? e.edx() | LEAF1_EDX_HTT : e.edx() & ~LEAF1_EDX_HTT;
        if (!policy.localApic()) {
            ecx &= ~(LEAF1_ECX_X2APIC | LEAF1_ECX_TSC_DEADLINE);
            edx &= ~LEAF1_EDX_APIC;
        }
        if (policy.hideCx16()) {
            ecx &= ~LEAF1_ECX_CX16;
        }
        if (policy.hideXsave()) {
            ecx &= ~(LEAF1_ECX_XSAVE | LEAF1_ECX_OSXSAVE);
        }
        return new CpuidEntry(e.function(), e.index(), e.flags(), e.eax(), ebx, ecx, edx);
    }
}
