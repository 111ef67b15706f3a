package dev.corral.engine.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

/** CPUID as a vCPU sees it, from a recorded KVM_GET_SUPPORTED_CPUID (the kvm_pvm host this was written on). */
class KvmCpuidTest {

    private static final int SIGNIFICANT = CpuidEntry.FLAG_SIGNIFICANT_INDEX;
    /** Leaves 1, 7, 0xb, 0xd and the KVM signature as KVM_GET_SUPPORTED_CPUID gave them on an AMD EPYC kvm_pvm host. */
    private static final List<CpuidEntry> SUPPORTED = List.of(
            new CpuidEntry(0x0, 0, 0, 0x1c, 0x68747541, 0x444d4163, 0x69746e65),
            new CpuidEntry(0x1, 0, 0, 0x00a10f11, 0x00020800, 0x85202000 | (1 << 26), 0x078bfbff),
            new CpuidEntry(0x7, 0, SIGNIFICANT, 1, 0x01800002, 0x104, 0x20000000),
            new CpuidEntry(0x7, 1, SIGNIFICANT, 0, 0, 0, 0),
            new CpuidEntry(0xb, 0, SIGNIFICANT, 1, 1, 0x100, 0),
            new CpuidEntry(0xb, 1, SIGNIFICANT, 4, 2, 0x201, 0),
            new CpuidEntry(0xd, 0, SIGNIFICANT, 0xe7, 0x980, 0x980, 0),
            new CpuidEntry(0x8000001e, 0, 0, 0, 0, 0, 0),
            new CpuidEntry(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d));

    private static CpuidEntry leaf(List<CpuidEntry> entries, int function, int index) {
        return entries.stream().filter(e -> e.function() == function && e.index() == index).findFirst().orElseThrow();
    }

    @Test
    void eachVcpuIsToldItsOwnApicIdAndTheVmsCpuCount() {
        var cpu2 = KvmCpuid.forVcpu(SUPPORTED, 2, 4, KvmCpuid.Policy.of(true, false));
        assertThat(leaf(cpu2, 1, 0).ebx() >>> 24).isEqualTo(2);
        assertThat((leaf(cpu2, 1, 0).ebx() >>> 16) & 0xff).isEqualTo(4);
        assertThat((leaf(cpu2, 1, 0).ebx() >>> 8) & 0xff).as("CLFLUSH line, 8-byte units").isEqualTo(8);
        assertThat(leaf(cpu2, 1, 0).edx() & KvmCpuid.LEAF1_EDX_HTT).isNotZero();
        assertThat(leaf(cpu2, 0xb, 0).edx()).isEqualTo(2);
        assertThat(leaf(cpu2, 0xb, 1).edx()).isEqualTo(2);
        assertThat(leaf(cpu2, 0x8000001e, 0).eax()).isEqualTo(2);
        var single = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(true, false));
        assertThat(leaf(single, 1, 0).edx() & KvmCpuid.LEAF1_EDX_HTT).isZero();
    }

    @Test
    void theSubleafFlagsTravelBackToKvmUnchanged() {
        var entries = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(true, true));
        assertThat(leaf(entries, 7, 1).flags()).isEqualTo(SIGNIFICANT);
        assertThat(leaf(entries, 0xb, 1).flags()).isEqualTo(SIGNIFICANT);
        assertThat(entries.stream().filter(e -> e.function() == 7)).hasSize(2);
    }

    @Test
    void onKvmPvmCmpxchg16bXsaveAndArchCapabilitiesAreHidden() {
        var pvm = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(true, true));
        assertThat(leaf(pvm, 1, 0).ecx() & (KvmCpuid.LEAF1_ECX_CX16 | KvmCpuid.LEAF1_ECX_XSAVE)).isZero();
        assertThat(leaf(pvm, 7, 0).edx() & KvmCpuid.LEAF7_EDX_ARCH_CAPABILITIES).isZero();
        assertThat(pvm.stream().noneMatch(e -> e.function() == 0xd)).as("no XSAVE state leaf without XSAVE").isTrue();

        var hardware = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(true, false));
        assertThat(leaf(hardware, 1, 0).ecx() & KvmCpuid.LEAF1_ECX_CX16).isNotZero();
        assertThat(leaf(hardware, 1, 0).ecx() & KvmCpuid.LEAF1_ECX_XSAVE).isNotZero();
        assertThat(leaf(hardware, 7, 0).edx() & KvmCpuid.LEAF7_EDX_ARCH_CAPABILITIES).isNotZero();
        assertThat(hardware.stream().anyMatch(e -> e.function() == 0xd)).isTrue();
    }

    @Test
    void withoutLocalApicsNoApicFeatureIsOffered() {
        var entries = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(false, false));
        assertThat(leaf(entries, 1, 0).edx() & KvmCpuid.LEAF1_EDX_APIC).isZero();
        assertThat(leaf(entries, 1, 0).ecx() & (KvmCpuid.LEAF1_ECX_X2APIC | KvmCpuid.LEAF1_ECX_TSC_DEADLINE)).isZero();
        var withApic = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(true, false));
        assertThat(leaf(withApic, 1, 0).edx() & KvmCpuid.LEAF1_EDX_APIC).isNotZero();
        assertThat(leaf(withApic, 1, 0).ecx() & KvmCpuid.LEAF1_ECX_TSC_DEADLINE).isNotZero();
    }

    @Test
    void theGuestIsToldItRunsOnAHypervisorAndTheRestPassesThrough() {
        var entries = KvmCpuid.forVcpu(SUPPORTED, 0, 1, KvmCpuid.Policy.of(true, true));
        assertThat(leaf(entries, 1, 0).ecx() & KvmCpuid.LEAF1_ECX_HYPERVISOR).isNotZero();
        assertThat(leaf(entries, 0, 0)).isEqualTo(SUPPORTED.get(0));
        assertThat(leaf(entries, 0x40000000, 0)).isEqualTo(SUPPORTED.get(8));
        assertThat(leaf(entries, 1, 0).eax()).isEqualTo(0x00a10f11);
    }

    @Test
    void anApicIdBeyondXapicRangeIsRefused() {
        assertThatThrownBy(() -> KvmCpuid.forVcpu(SUPPORTED, 255, 256, KvmCpuid.Policy.of(true, false)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("APIC id 255");
    }
}
