package dev.corral.engine.vm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.host.Accelerator;
import dev.corral.engine.host.AcceleratorProbe;

/**
 * The backends the VM tests hold to one behaviour: the software CPU, KVM with its in-kernel irqchip (what
 * {@code kvm} gives), and KVM driven by the Java PIC and PIT (the fallback for a KVM without an irqchip). The KVM ones
 * skip, saying why, on a host without a usable /dev/kvm.
 */
enum TestBackend {
    EMULATED,
    KVM,
    KVM_USERSPACE_IRQCHIP;

    VirtualMachine create(VmConfig config, ConsoleSink console, VirtualMachine.Listener listener) {
        return switch (this) {
            case EMULATED -> VirtualMachine.create(config.withAccelerator(VmAccelerator.EMULATED), console, listener);
            case KVM -> {
                assumeKvm();
                yield VirtualMachine.create(config.withAccelerator(VmAccelerator.KVM), console, listener);
            }
            case KVM_USERSPACE_IRQCHIP -> {
                assumeKvm();
                var kvm = config.withAccelerator(VmAccelerator.KVM);
                yield VirtualMachine.create(kvm, console, listener, KvmBackend.open(kvm, KvmBackend.Irqchip.USERSPACE));
            }
        };
    }

    /** Skips the calling test, with the probe's reason, where this host has no KVM. */
    static void assumeKvm() {
        var finding = AcceleratorProbe.ofHost().probe();
        assumeTrue(finding.accelerator() != Accelerator.EMULATED_ONLY,
                "no KVM on this host (" + finding.reason() + "): the KVM backend's tests cannot run here");
    }
}
