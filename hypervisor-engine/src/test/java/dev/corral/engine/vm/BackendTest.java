package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.engine.guests.TickerImage;
import org.junit.jupiter.api.Test;

/** Which backend a VM gets, decided without running anything; the KVM device path is what the test says it is. */
class BackendTest {

    private static VmConfig config(VmAccelerator accelerator) {
        return new VmConfig("b", 1, 32L << 20, TickerImage.bytes(), null, "", true, accelerator);
    }

    @Test
    void autoRunsOnTheSoftwareCpuWhereThereIsNoKvmDevice() {
        try (var backend = Backend.open(config(VmAccelerator.AUTO), "/nonexistent/kvm")) {
            assertThat(backend.accelerator()).isEqualTo(VmAccelerator.EMULATED);
        }
    }

    @Test
    void autoRunsOnTheSoftwareCpuWhereTheDeviceIsNotKvm() {
        // /dev/null answers KVM_GET_API_VERSION with ENOTTY: not API version 12.
        try (var backend = Backend.open(config(VmAccelerator.AUTO), "/dev/null")) {
            assertThat(backend.accelerator()).isEqualTo(VmAccelerator.EMULATED);
        }
    }

    @Test
    void askingForKvmWhereThereIsNoneIsAVmExceptionSayingWhy() {
        assertThatThrownBy(() -> Backend.open(config(VmAccelerator.KVM), "/nonexistent/kvm"))
                .isInstanceOf(AcceleratorUnavailableException.class)
                .hasMessage("VM b: KVM is not available here: open(/nonexistent/kvm) failed: ENOENT (2)");
    }

    @Test
    void autoTakesKvmWhereItWorks() {
        TestBackend.assumeKvm();
        try (var backend = Backend.open(config(VmAccelerator.AUTO))) {
            assertThat(backend.accelerator()).isEqualTo(VmAccelerator.KVM);
        }
    }

    @Test
    void emulatedIsTheSoftwareCpuEvenWhereKvmExists() {
        try (var backend = Backend.open(config(VmAccelerator.EMULATED))) {
            assertThat(backend).isInstanceOf(EmulatedBackend.class);
            assertThat(backend.irqchip()).as("the machine builds the Java PIC and PIT").isNull();
        }
    }

    @Test
    void onKvmPvmLinuxIsToldToKeepOffWhatKvmsEmulatorCannotRunOnce() {
        assertThat(KvmBackend.kernelCmdline("console=ttyS0", true)).isEqualTo("console=ttyS0 noxsave clearcpuid=smap,popcnt");
        assertThat(KvmBackend.kernelCmdline("", true)).isEqualTo("noxsave clearcpuid=smap,popcnt");
        assertThat(KvmBackend.kernelCmdline("noxsave console=ttyS0", true)).isEqualTo("noxsave console=ttyS0 clearcpuid=smap,popcnt");
        assertThat(KvmBackend.kernelCmdline("clearcpuid=pcid noxsave", true)).as("the user's clearcpuid wins").isEqualTo("clearcpuid=pcid noxsave");
        assertThat(KvmBackend.kernelCmdline("console=ttyS0", false)).as("hardware KVM runs them").isEqualTo("console=ttyS0");
    }

    @Test
    void acceleratorNamesAreTheWireNamesAndAnythingElseIsRefused() {
        assertThat(VmAccelerator.parse("kvm")).isEqualTo(VmAccelerator.KVM);
        assertThat(VmAccelerator.parse("Emulated")).isEqualTo(VmAccelerator.EMULATED);
        assertThat(VmAccelerator.parse("auto")).isEqualTo(VmAccelerator.AUTO);
        assertThatThrownBy(() -> VmAccelerator.parse("tcg")).isInstanceOf(VmException.class)
                .hasMessage("accelerator 'tcg' is not one of kvm, emulated, auto");
        assertThat(new VmConfig("v", 1, 32L << 20, new byte[] {1}, null, "", false).accelerator()).isEqualTo(VmAccelerator.EMULATED);
    }
}
