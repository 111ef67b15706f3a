package dev.corral.engine.devices.apic;

import static dev.corral.engine.devices.apic.IoApic.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

/** The I/O APIC's registers and its pins: edge and level, remote IRR, masks, polarity, delivery modes. */
class IoApicTest {

    private static final long FIXED = 0, LOWEST = 0x100, NMI = 0x400, INIT = 0x500, EXTINT = 0x700, LOGICAL = 1 << 11;

    private final ApicRig rig = new ApicRig(2).enabled();
    private final IoApic ioApic = new IoApic(0, rig.bus);

    private int readRegister(int index) {
        ioApic.write(IOREGSEL, 4, index);
        return (int) ioApic.read(IOWIN, 4);
    }

    private void writeRegister(int index, long value) {
        ioApic.write(IOREGSEL, 4, index);
        ioApic.write(IOWIN, 4, value);
    }

    /** Programs pin {@code pin} as Linux does: the high half (destination) first, then the low half. */
    private void route(int pin, int destination, long low) {
        writeRegister(IOREDTBL + 2 * pin + 1, (long) destination << 24);
        writeRegister(IOREDTBL + 2 * pin, low);
    }

    private long entry(int pin) {
        return readRegister(IOREDTBL + 2 * pin) & 0xffffffffL;
    }

    @Test
    void itStartsWithEveryEntryMaskedAndDescribesItselfAsVersion0x20With24Pins() {
        assertThat(readRegister(IOAPICVER)).isEqualTo(0x00170020);
        assertThat(readRegister(IOAPICID)).isZero();
        for (int pin = 0; pin < PINS; pin++) {
            assertThat(entry(pin)).isEqualTo(MASKED);
            assertThat(readRegister(IOREDTBL + 2 * pin + 1)).isZero();
        }
        writeRegister(IOAPICID, 0xff000000L);
        assertThat(readRegister(IOAPICID)).isEqualTo(0x0f000000);
        assertThat(readRegister(IOAPICARB)).isEqualTo(0x0f000000);
        writeRegister(IOAPICVER, 0);
        assertThat(readRegister(IOAPICVER)).isEqualTo(0x00170020);
        assertThat(readRegister(0x40)).as("past the table: reserved").isZero();
        assertThat(ioApic.read(IOREGSEL, 4)).isEqualTo(0x40L);
    }

    @Test
    void entriesKeepTheirWritableBitsAndTheWindowTakesOnly32BitAccesses() {
        writeRegister(IOREDTBL + 1, 0xffffffffL);
        writeRegister(IOREDTBL, 0xffffffffL);
        assertThat(readRegister(IOREDTBL + 1)).isEqualTo(0xff000000);
        assertThat(entry(0)).as("not delivery status, not remote IRR, nothing above the mask").isEqualTo(0x1afffL);
        ioApic.write(IOREGSEL, 4, IOREDTBL + 2);
        ioApic.write(IOWIN, 2, 0x30);
        assertThat(ioApic.read(IOWIN, 2)).isZero();
        assertThat(entry(1)).isEqualTo(MASKED);
    }

    @Test
    void anEdgeTriggeredPinSendsOneInterruptPerRisingEdge() {
        route(4, 1, FIXED | 0x24);
        ioApic.setLevel(4, true);
        ioApic.setLevel(4, true); // still high: no new edge
        assertThat(rig.take(1)).isEqualTo(0x24);
        rig.eoi(1);
        assertThat(rig.take(1)).isEqualTo(-1);
        ioApic.setLevel(4, false);
        ioApic.setLevel(4, true);
        assertThat(rig.take(1)).isEqualTo(0x24);
        assertThat(rig.wakes).containsExactly(0, 2);
        assertThat(entry(4) & REMOTE_IRR).isZero();
    }

    @Test
    void anEdgeOnAMaskedPinIsLost() {
        route(4, 0, MASKED | 0x24);
        ioApic.setLevel(4, true);
        route(4, 0, 0x24);
        assertThat(rig.take(0)).isEqualTo(-1);
        ioApic.setLevel(4, false);
        ioApic.setLevel(4, true);
        assertThat(rig.take(0)).isEqualTo(0x24);
    }

    @Test
    void aLevelTriggeredPinIsInServiceUntilTheEoiAndInterruptsAgainIfStillAsserted() {
        route(9, 0, TRIGGER_LEVEL | 0x29); // the ACPI SCI: level, active high
        ioApic.setLevel(9, true);
        assertThat(entry(9) & REMOTE_IRR).isNotZero();
        assertThat(rig.take(0)).isEqualTo(0x29);
        assertThat(rig.bit(0, LocalApic.TMR, 0x29)).isTrue();
        rig.eoi(0); // the handler did not clear the device's status: the line is still up
        assertThat(rig.eois).containsExactly(0x29);
        assertThat(rig.take(0)).as("sent again").isEqualTo(0x29);
        ioApic.setLevel(9, false);
        rig.eoi(0);
        assertThat(entry(9) & REMOTE_IRR).isZero();
        assertThat(rig.take(0)).isEqualTo(-1);
        assertThat(rig.wakes[0]).isEqualTo(2);
    }

    @Test
    void whileTheRemoteIrrIsSetAReassertedLevelSendsNothing() {
        route(9, 0, TRIGGER_LEVEL | 0x29);
        ioApic.setLevel(9, true);
        ioApic.setLevel(9, false);
        ioApic.setLevel(9, true);
        assertThat(rig.wakes[0]).isEqualTo(1);
    }

    @Test
    void theEoiRegisterRetiresALevelInterruptWhoseBroadcastWasSuppressed() {
        rig.set(0, LocalApic.SVR, 0x11ff);
        route(10, 0, TRIGGER_LEVEL | 0x2a);
        ioApic.setLevel(10, true);
        rig.take(0);
        rig.eoi(0);
        assertThat(rig.eois).isEmpty();
        assertThat(entry(10) & REMOTE_IRR).isNotZero();
        ioApic.setLevel(10, false);
        ioApic.write(EOI, 4, 0x2b); // another vector: nothing
        assertThat(entry(10) & REMOTE_IRR).isNotZero();
        ioApic.write(EOI, 4, 0x2a);
        assertThat(entry(10) & REMOTE_IRR).isZero();
    }

    @Test
    void rewritingALevelEntryAsEdgeTriggeredClearsItsRemoteIrr() {
        route(11, 0, TRIGGER_LEVEL | 0x2b);
        ioApic.setLevel(11, true);
        ioApic.setLevel(11, false);
        route(11, 0, MASKED | 0x2b); // the old I/O APICs' way to clear a stuck remote IRR
        route(11, 0, MASKED | TRIGGER_LEVEL | 0x2b);
        assertThat(entry(11) & REMOTE_IRR).isZero();
    }

    @Test
    void unmaskingAnAssertedLevelPinDeliversAtOnce() {
        route(12, 0, MASKED | TRIGGER_LEVEL | 0x2c);
        ioApic.setLevel(12, true);
        assertThat(rig.wakes[0]).isZero();
        route(12, 0, TRIGGER_LEVEL | 0x2c);
        assertThat(rig.take(0)).isEqualTo(0x2c);
    }

    @Test
    void aLevelInterruptNobodyAcceptedLeavesTheRemoteIrrClearAndIsSentAgainLater() {
        rig.set(1, LocalApic.SVR, 0xff); // software-disabled
        route(13, 1, TRIGGER_LEVEL | 0x2d);
        ioApic.setLevel(13, true);
        assertThat(entry(13) & REMOTE_IRR).isZero();
        rig.set(1, LocalApic.SVR, 0x1ff);
        route(13, 1, TRIGGER_LEVEL | 0x2d);
        assertThat(rig.take(1)).isEqualTo(0x2d);
    }

    @Test
    void anEntryProgrammedAgainstTheWiredPolarityTakesAnIdleLineAsAsserted() {
        route(14, 0, TRIGGER_LEVEL | POLARITY_LOW | 0x2e); // active low, on a line wired active high
        assertThat(rig.take(0)).isEqualTo(0x2e);

        var pci = new IoApic(1, new ApicRig(1).enabled().bus, 1 << 16); // pin 16 wired active low, like PCI INTx
        pci.write(IOREGSEL, 4, IOREDTBL + 32);
        pci.write(IOWIN, 4, TRIGGER_LEVEL | POLARITY_LOW | 0x30);
        pci.write(IOREGSEL, 4, IOREDTBL + 32);
        assertThat(pci.read(IOWIN, 4) & REMOTE_IRR).as("idle").isZero();
        pci.setLevel(16, true);
        assertThat(pci.read(IOWIN, 4) & REMOTE_IRR).as("asserted").isNotZero();
    }

    @Test
    void logicalDestinationsAndLowestPriorityReachTheNamedProcessors() {
        for (int cpu = 0; cpu < 2; cpu++) {
            rig.set(cpu, LocalApic.LDR, 1L << 24 + cpu);
        }
        route(1, 0b11, LOGICAL | FIXED | 0x31);
        ioApic.setLevel(1, true);
        assertThat(rig.take(0)).isEqualTo(0x31);
        assertThat(rig.take(1)).isEqualTo(0x31);

        rig.set(0, LocalApic.TPR, 0x80);
        route(3, 0b11, LOGICAL | LOWEST | 0x33);
        ioApic.setLevel(3, true);
        assertThat(rig.take(1)).isEqualTo(-1); // 0x31 still in service on both
        rig.eoi(1);
        assertThat(rig.take(1)).isEqualTo(0x33);
        assertThat(rig.bit(0, LocalApic.IRR, 0x33)).isFalse();
    }

    @Test
    void nmiInitAndExtIntPinsSignalTheProcessorAndAreEdgeTriggered() {
        route(5, 1, NMI | TRIGGER_LEVEL);
        ioApic.setLevel(5, true);
        assertThat(rig.cpu(1).pollSignal(true)).isEqualTo(new ApicSignal.Nmi());
        assertThat(entry(5) & REMOTE_IRR).as("no remote IRR for an NMI").isZero();

        route(6, 1, INIT);
        ioApic.setLevel(6, true);
        assertThat(rig.cpu(1).pollSignal(true)).isEqualTo(new ApicSignal.Init());

        route(7, 0, EXTINT); // the 8259A's output routed through a pin: the CPU asks the PIC for the vector
        ioApic.setLevel(7, true);
        assertThat(rig.cpu(0).hasInterrupt()).isTrue();
        assertThat(rig.cpu(0).acknowledge()).isInstanceOf(ApicInterrupt.ExtInt.class);
        assertThat(rig.cpu(0).hasInterrupt()).isFalse();

        route(8, 0, 0x600 | 0x38); // 110 is reserved for the I/O APIC: nothing is sent
        ioApic.setLevel(8, true);
        assertThat(rig.cpu(0).hasSignal(true) || rig.cpu(0).hasInterrupt()).isFalse();
    }

    @Test
    void isaIrqZeroReachesPinTwoAndEveryIsaLineAlsoReachesThePics() {
        var pics = new RecordingInterruptController();
        var router = new IsaInterruptRouter(pics, ioApic);
        route(2, 0, 0x30);
        route(4, 0, 0x34);
        route(20, 0, TRIGGER_LEVEL | 0x50);

        new InterruptLine(router, 0).raise(); // the PIT
        assertThat(rig.take(0)).isEqualTo(0x30);
        rig.eoi(0);
        new InterruptLine(router, 4).raise(); // COM1
        assertThat(rig.take(0)).isEqualTo(0x34);
        rig.eoi(0);
        router.setLevel(20, true); // a PCI INTx line: the I/O APIC's alone
        assertThat(rig.take(0)).isEqualTo(0x50);
        assertThat(pics.changes()).containsExactly("irq0 high", "irq4 high");
        assertThat(IsaInterruptRouter.ioApicPin(0)).isEqualTo(2);
        assertThat(IsaInterruptRouter.ioApicPin(9)).isEqualTo(9);
        assertThatThrownBy(() -> router.setLevel(2, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> router.setLevel(24, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ioApic.setLevel(24, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
