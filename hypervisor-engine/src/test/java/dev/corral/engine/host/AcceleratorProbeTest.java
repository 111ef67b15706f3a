package dev.corral.engine.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceleratorProbeTest {

    @TempDir
    Path root;

    @Test
    void noDeviceNodeIsEmulatedOnly() {
        assertThat(new AcceleratorProbe(root).probe().accelerator()).isEqualTo(Accelerator.EMULATED_ONLY);
    }

    @Test
    void pvmModuleWithoutDeviceNodeIsEmulatedOnlyAndSaysWhy() throws IOException {
        Files.createDirectories(root.resolve("sys/module/kvm_pvm"));
        var finding = new AcceleratorProbe(root).probe();
        assertThat(finding.accelerator()).isEqualTo(Accelerator.EMULATED_ONLY);
        assertThat(finding.reason()).contains("no /dev/kvm device node");
    }

    @Test
    void pvmModuleWithDeviceNodeIsPvm() throws IOException {
        Files.createDirectories(root.resolve("sys/module/kvm_pvm"));
        device();
        cpuinfo("fpu vme de pse tsc msr pae hypervisor");
        assertThat(new AcceleratorProbe(root).probe().accelerator()).isEqualTo(Accelerator.KVM_PVM);
    }

    @Test
    void vmxFlagWithDeviceNodeIsHardware() throws IOException {
        Files.createDirectories(root.resolve("sys/module/kvm_intel"));
        device();
        cpuinfo("fpu vme de pse tsc msr pae vmx ept");
        assertThat(new AcceleratorProbe(root).probe().accelerator()).isEqualTo(Accelerator.KVM_HARDWARE);
    }

    @Test
    void svmFlagWithDeviceNodeIsHardware() throws IOException {
        device();
        cpuinfo("fpu svm npt");
        assertThat(new AcceleratorProbe(root).probe().accelerator()).isEqualTo(Accelerator.KVM_HARDWARE);
    }

    @Test
    void deviceNodeWithoutHardwareFlagsIsNotMistakenForHardware() throws IOException {
        device();
        cpuinfo("fpu vme hypervisor vmxnet");
        assertThat(new AcceleratorProbe(root).probe().accelerator()).isEqualTo(Accelerator.KVM_PVM);
    }

    @Test
    void wireNamesMatchTheApi() {
        assertThat(Accelerator.KVM_HARDWARE.wireName()).isEqualTo("kvm-hardware");
        assertThat(Accelerator.KVM_PVM.wireName()).isEqualTo("kvm-pvm");
        assertThat(Accelerator.EMULATED_ONLY.wireName()).isEqualTo("emulated-only");
    }

    private void device() throws IOException {
        Files.createDirectories(root.resolve("dev"));
        Files.createFile(root.resolve("dev/kvm"));
    }

    private void cpuinfo(String flags) throws IOException {
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cpuinfo"),
                "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: " + flags + "\n\nprocessor\t: 1\nflags\t\t: " + flags + "\n");
    }
}
