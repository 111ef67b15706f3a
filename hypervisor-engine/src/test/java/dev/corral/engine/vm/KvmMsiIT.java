package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.devices.pci.MsiSink;
import dev.corral.engine.devices.virtio.VirtioPciDevice;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.kvm.KvmStructs;
import dev.corral.engine.kvm.VcpuFd;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Under KVM with the in-kernel irqchip a virtio device's MSI-X message, programmed by the guest through PCI
 * configuration space and the device's table, reaches the in-kernel local APIC: KVM_SIGNAL_MSI, on /dev/kvm for real.
 */
@Timeout(60)
class KvmMsiIT {

    private static final int APIC_SVR = 0xf0, APIC_SVR_ENABLE = 0x100, APIC_IRR = 0x200;

    private final VmConfig config = new VmConfig("msi", 1, 64L << 20, TickerImage.bytes(), null, "", false, VmAccelerator.KVM);

    @BeforeEach
    void kvm() {
        TestBackend.assumeKvm();
    }

    @Test
    void aVirtioDevicesMsixMessageLandsInTheInKernelLocalApicsIrr() {
        try (var backend = KvmBackend.open(config, KvmBackend.Irqchip.IN_KERNEL);
                var machine = PcMachine.build(config, ConsoleBuffer.of(64), System::nanoTime, () -> { }, backend.irqchip(), false)) {
            assertThat(backend.irqchip()).as("the in-kernel irqchip takes MSI-X messages").isInstanceOf(MsiSink.class);
            var interrupts = (KvmInterrupts) backend.irqchip();
            assertThat(machine.pci.virtio()).as("so every virtio device offers MSI-X").allMatch(d -> d.msix() != null);
            var vcpu = ((KvmVcpu) backend.createVcpus(config, machine, i -> { }).getFirst().cpu()).fd();
            enableLocalApic(vcpu);

            VirtioPciDevice rng = machine.pci.virtio().getFirst();
            long table = programMsix(machine.ports, machine.mmio, PciDevices.RNG_SLOT, rng);
            entry(machine.mmio, table, 0, 0xfee0_0000L, 0x41);      // APIC id 0, fixed, edge, vector 0x41
            entry(machine.mmio, table, 1, 0xfee0_5000L, 0x42);      // APIC id 5: there is none
            assertThat(irrHas(vcpu, 0x41)).isFalse();

            assertThat(rng.msix().fire(0)).isTrue();
            assertThat(rng.msix().sent()).as("handed to the sink, not left pending").isEqualTo(1);
            assertThat(irrHas(vcpu, 0x41)).as("vector 0x41 pending in APIC 0's IRR").isTrue();
            assertThat(interrupts.delivered()).isEqualTo(1);

            rng.msix().fire(1);
            assertThat(irrHas(vcpu, 0x42)).isFalse();
            assertThat(interrupts.blocked()).as("no APIC accepted it; nothing thrown").isEqualTo(1);

            entry(machine.mmio, table, 1, 0xfed0_0000L, 0x43);      // not the interrupt window
            rng.msix().fire(1);
            assertThat(interrupts.dropped()).as("never handed to KVM; nothing thrown").isEqualTo(1);

            entry(machine.mmio, table, 1, 0xfee0_0000L, 0x05);      // vector 5: reserved, an APIC's illegal vector
            rng.msix().fire(1);
            // Measured on kvm_pvm: KVM does not apply the APIC's illegal-vector rule to messages; it takes it, nothing throws.
            assertThat(interrupts.delivered()).isEqualTo(2);
            assertThat(interrupts.failed()).isZero();
            assertThat(rng.msix().sent()).isEqualTo(4);
        }
    }

    @Test
    void withoutTheInKernelIrqchipTheDevicesUseIntxOnly() {
        try (var backend = KvmBackend.open(config, KvmBackend.Irqchip.USERSPACE);
                var machine = PcMachine.build(config, ConsoleBuffer.of(64), System::nanoTime, () -> { }, backend.irqchip(), false)) {
            assertThat(backend.irqchip()).isNull();
            assertThat(machine.pci.virtio()).allMatch(d -> d.msix() == null);
        }
    }

    /** What a guest's APIC driver does first: the software-enable bit in the spurious-interrupt vector register. */
    private static void enableLocalApic(VcpuFd vcpu) {
        try (var arena = Arena.ofConfined()) {
            var lapic = arena.allocate(KvmStructs.LAPIC_STATE);
            vcpu.getLapic(lapic);
            lapic.set(ValueLayout.JAVA_INT, APIC_SVR, APIC_SVR_ENABLE | 0xff);
            vcpu.setLapic(lapic);
        }
    }

    private static boolean irrHas(VcpuFd vcpu, int vector) {
        try (var arena = Arena.ofConfined()) {
            var lapic = arena.allocate(KvmStructs.LAPIC_STATE);
            vcpu.getLapic(lapic);
            return (lapic.get(ValueLayout.JAVA_INT, APIC_IRR + 0x10 * (vector / 32)) & 1 << (vector % 32)) != 0;
        }
    }

    /** As a guest driver would: finds the MSI-X table's BAR, enables memory decoding and MSI-X; returns the table's address. */
    private static long programMsix(PortIoBus ports, MmioBus mmio, int slot, VirtioPciDevice device) {
        int cap = device.msix().capabilityOffset();
        int tableRegister = conf1Read(ports, slot, cap + 4); // table offset | BIR
        long bar = conf1Read(ports, slot, 0x10 + 4 * (tableRegister & 7)) & 0xffff_fff0L; // where the bus placed it
        conf1Write(ports, slot, 0x04, 2, 0x0006); // memory space, bus master
        conf1Write(ports, slot, cap + 2, 2, 0x8000); // MSI-X enable, function not masked
        assertThat(device.msix().enabled()).isTrue();
        return bar + (tableRegister & ~7L);
    }

    private static void entry(MmioBus mmio, long table, int vector, long address, int data) {
        mmio.write(table + 16L * vector, 4, address & 0xffff_ffffL);
        mmio.write(table + 16L * vector + 4, 4, address >>> 32);
        mmio.write(table + 16L * vector + 8, 4, data);
        mmio.write(table + 16L * vector + 12, 4, 0); // unmasked
    }

    private static int conf1Read(PortIoBus ports, int slot, int register) {
        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | register & ~3);
        return ports.read(0xcfc, 4);
    }

    private static void conf1Write(PortIoBus ports, int slot, int register, int size, int value) {
        ports.write(0xcf8, 4, 0x8000_0000 | slot << 11 | register & ~3);
        ports.write(0xcfc + (register & 3), size, value);
    }
}
