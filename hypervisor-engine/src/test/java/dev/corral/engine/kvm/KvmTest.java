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
}
