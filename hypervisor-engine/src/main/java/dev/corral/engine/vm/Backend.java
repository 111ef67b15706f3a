package dev.corral.engine.vm;

import java.util.List;
import java.util.function.IntConsumer;

import dev.corral.engine.kvm.Kvm;
import dev.corral.engine.machine.InterruptController;

/**
 * What runs one VM's vCPUs: the software CPU or KVM. Made before the machine (KVM wants its irqchip before anything
 * else), asked for the vCPUs once the machine is built, closed after the vCPU threads have ended. The machine model
 * (buses, devices, guest memory) is the same whichever backend runs it.
 */
sealed interface Backend extends AutoCloseable permits EmulatedBackend, KvmBackend {

    /** {@link VmAccelerator#KVM} or {@link VmAccelerator#EMULATED}. */
    VmAccelerator accelerator();

    /**
     * Where the devices' interrupt lines go when the backend has the interrupt controllers and the 8254 (KVM's
     * in-kernel irqchip), so the machine makes no PIC or PIT of its own; null when the machine must make them. One
     * that is also a {@link dev.corral.engine.devices.pci.MsiSink} takes the PCI functions' MSI-X messages too.
     */
    InterruptController irqchip();

    /** The kernel command line the guest gets: {@code cmdline}, plus what this backend's host needs a Linux guest to know. */
    default String kernelCmdline(String cmdline) {
        return cmdline;
    }

    /**
     * Whether the machine builds its own local APICs and IOAPIC for this backend (the software CPU's), when it has no
     * {@link #irqchip()}; false: the PICs alone.
     */
    default boolean apics() {
        return false;
    }

    /**
     * The vCPUs that run, vCPU 0 first, each with the interrupt source its loop polls. {@code wake} takes a vCPU's
     * index when one of its interrupt controllers has something for it (any thread, must not block).
     */
    List<Slot> createVcpus(VmConfig config, PcMachine machine, IntConsumer wake);

    /** Frees what the backend holds (KVM's fds and mappings). After every vCPU thread has ended. */
    @Override
    void close();

    /** One vCPU and where its loop takes external interrupts from. */
    record Slot(Vcpu cpu, InterruptSource interrupts) {
    }

    /**
     * The backend {@code config} asks for: {@code kvm} fails when /dev/kvm cannot be used; {@code auto} falls back to
     * the software CPU when /dev/kvm does not open or does not speak API version 12, and says so in the log.
     */
    static Backend open(VmConfig config) {
        return open(config, Kvm.DEVICE);
    }

    /** As {@link #open(VmConfig)}, with KVM at {@code kvmDevice} (tests: a path that is not KVM). */
    static Backend open(VmConfig config, String kvmDevice) {
        return switch (config.accelerator()) {
            case EMULATED -> EmulatedBackend.withApics();
            case KVM -> KvmBackend.open(config, KvmBackend.openDevice(config.name(), kvmDevice), KvmBackend.Irqchip.IN_KERNEL);
            case AUTO -> {
                Kvm kvm;
                try {
                    kvm = KvmBackend.openDevice(config.name(), kvmDevice);
                } catch (AcceleratorUnavailableException e) {
                    System.getLogger(Backend.class.getName()).log(System.Logger.Level.INFO, e.getMessage() + "; running it on the software CPU");
                    yield EmulatedBackend.withApics();
                }
                yield KvmBackend.open(config, kvm, KvmBackend.Irqchip.IN_KERNEL);
            }
        };
    }
}
