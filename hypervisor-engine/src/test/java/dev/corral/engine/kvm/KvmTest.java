package dev.corral.engine.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.corral.engine.sys.SysException;
import org.junit.jupiter.api.Test;

class KvmTest {

    @Test
    void aHostWithoutTheKvmDeviceIsATypedErrorNamingItAndErrno() {
        assertThatThrownBy(() -> Kvm.open("/nonexistent/kvm")).isInstanceOf(SysException.class)
                .hasMessage("open(/nonexistent/kvm) failed: ENOENT (2)");
    }

    @Test
    void aDeviceThatIsNotKvmIsRefused() {
        // /dev/null answers every ioctl with ENOTTY: it is not a KVM device.
        assertThatThrownBy(() -> Kvm.open("/dev/null")).isInstanceOf(SysException.class)
                .hasMessageContaining("KVM_GET_API_VERSION failed: ENOTTY");
    }

    @Test
    void whereKvmExistsItSpeaksApiVersion12AndOffersCpuid() {
        assumeTrue(Files.exists(Path.of(Kvm.DEVICE)), "this host has no /dev/kvm (the software CPU is its backend)");
        try (var kvm = Kvm.open()) {
            assertThat(kvm.vcpuMmapSize()).isGreaterThanOrEqualTo(4096);
            assertThat(kvm.checkExtension(Kvm.CAP_USER_MEMORY)).isPositive();
            assertThat(kvm.supportedCpuid().stream().anyMatch(leaf -> leaf.function() == 0)).as("leaf 0 is offered").isTrue();
        }
    }

    @Test
    void aClosedVcpusRunPageFailsToBeTouchedInsteadOfCrashingTheProcess() {
        assumeTrue(Files.exists(Path.of(Kvm.DEVICE)), "this host has no /dev/kvm (the software CPU is its backend)");
        try (var kvm = Kvm.open(); var vm = kvm.createVm()) {
            var vcpu = vm.createVcpu(0);
            vcpu.setImmediateExit(true);
            assertThat(vcpu.runPage().get(java.lang.foreign.ValueLayout.JAVA_BYTE, KvmStructs.RUN_IMMEDIATE_EXIT)).isEqualTo((byte) 1);
            vcpu.close();
            assertThatThrownBy(() -> vcpu.setImmediateExit(true)).isInstanceOf(IllegalStateException.class);
            vcpu.close(); // twice is fine
        }
    }

    @Test
    void aVcpuWithImmediateExitSetComesBackAtOnceAsInterrupted() {
        assumeTrue(Files.exists(Path.of(Kvm.DEVICE)), "this host has no /dev/kvm (the software CPU is its backend)");
        try (var kvm = Kvm.open(); var vm = kvm.createVm(); var vcpu = vm.createVcpu(0)) {
            vcpu.setImmediateExit(true);
            assertThat(vcpu.run()).isInstanceOf(VcpuExit.Interrupted.class);
        }
    }

    private static final int APIC_SVR = 0xf0, APIC_SVR_ENABLE = 0x100, APIC_IRR = 0x200;

    private static boolean irrHas(VcpuFd vcpu, int vector) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var lapic = arena.allocate(KvmStructs.LAPIC_STATE);
            vcpu.getLapic(lapic);
            int word = lapic.get(java.lang.foreign.ValueLayout.JAVA_INT, APIC_IRR + 0x10 * (vector / 32));
            return (word & 1 << (vector % 32)) != 0;
        }
    }

    @Test
    void anMsiReachesTheInKernelLocalApicOnceTheGuestHasEnabledIt() {
        assumeTrue(Files.exists(Path.of(Kvm.DEVICE)), "this host has no /dev/kvm (the software CPU is its backend)");
        try (var kvm = Kvm.open(); var vm = kvm.createVm()) {
            assumeTrue(kvm.checkExtension(Kvm.CAP_IRQCHIP) > 0 && kvm.checkExtension(Kvm.CAP_SIGNAL_MSI) > 0, "no in-kernel irqchip");
            vm.createIrqchip();
            try (var vcpu = vm.createVcpu(0)) {
                // fixed delivery, edge, vector 0x41, physical destination APIC id 0
                assertThat(vm.signalMsi(0xfee0_0000L, 0x41)).as("a software-disabled APIC blocks it").isZero();
                assertThat(irrHas(vcpu, 0x41)).isFalse();
                try (var arena = java.lang.foreign.Arena.ofConfined()) {
                    var lapic = arena.allocate(KvmStructs.LAPIC_STATE);
                    vcpu.getLapic(lapic);
                    lapic.set(java.lang.foreign.ValueLayout.JAVA_INT, APIC_SVR, APIC_SVR_ENABLE | 0xff);
                    vcpu.setLapic(lapic);
                }
                assertThat(vm.signalMsi(0xfee0_0000L, 0x41)).as("APIC 0 accepted it").isEqualTo(1);
                assertThat(irrHas(vcpu, 0x41)).isTrue();
                assertThat(vm.signalMsi(0xfee0_1000L, 0x42)).as("no APIC has id 1").isZero();
                assertThat(irrHas(vcpu, 0x42)).isFalse();
            }
            vm.close();
            assertThat(vm.signalMsi(0xfee0_0000L, 0x41)).as("a late interrupt after close is dropped").isZero();
        }
    }

    @Test
    void anMsiWithoutTheInKernelIrqchipIsATypedErrorNamingTheCall() {
        assumeTrue(Files.exists(Path.of(Kvm.DEVICE)), "this host has no /dev/kvm (the software CPU is its backend)");
        try (var kvm = Kvm.open(); var vm = kvm.createVm()) {
            assertThatThrownBy(() -> vm.signalMsi(0xfee0_0000L, 0x41)).isInstanceOf(SysException.class)
                    .hasMessageStartingWith("KVM_SIGNAL_MSI failed");
        }
    }
}
