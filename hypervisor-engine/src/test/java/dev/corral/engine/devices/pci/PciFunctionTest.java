package dev.corral.engine.devices.pci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

/** The type 0 header's access rules (PCI Local Bus 3.0, 6.1-6.2): what a guest may change, and what it may not. */
class PciFunctionTest {

    private final RecordingInterruptController pic = new RecordingInterruptController();
    private final PciBus bus = new PciBus(PciBus.Layout.PC, pic);

    @Test
    void identityRegistersAreReadOnlyAndReadAtEveryWidth() {
        var f = new TestFunction();
        bus.attach(3, f);
        for (int offset : new int[] {0x00, 0x08, 0x2c, 0x34}) {
            f.configWrite(offset, 4, -1);
        }
        assertThat(f.configRead(0x00, 4)).isEqualTo(0x5678_1234);
        assertThat(f.configRead(0x02, 2)).isEqualTo(0x5678);
        assertThat(f.configRead(0x01, 1)).isEqualTo(0x12);
        assertThat(f.configRead(0x08, 4)).isEqualTo(0x0200_0003); // class 02 00 00, revision 3
        assertThat(f.configRead(0x2c, 4)).isEqualTo(0x1100_1af4);
        assertThat(f.configRead(0x0e, 1)).isZero(); // header type 0, single function
        assertThat(f.configRead(0x34, 1)).isZero(); // no capabilities
    }

    @Test
    void commandRegisterKeepsOnlyTheBitsThisFunctionImplements() {
        var f = new TestFunction();
        bus.attach(3, f);
        f.configWrite(0x04, 2, 0xffff);
        // memory decode, bus master, parity, SERR, INTx disable; never I/O decode (no I/O BARs), special cycles etc.
        assertThat(f.configRead(0x04, 2)).isEqualTo(0x0546);
        f.configWrite(0x04, 2, 0);
        assertThat(f.configRead(0x04, 2)).isZero();

        var bridge = new HostBridge();
        bus.attach(0, bridge);
        bridge.configWrite(0x04, 2, 0xffff);
        assertThat(bridge.configRead(0x04, 2)).isEqualTo(0x0144); // no BARs, no pin: no memory decode, no INTx disable
    }

    @Test
    void statusErrorBitsClearWhenWrittenWithOneAndNothingElseChanges() {
        var f = new TestFunction();
        bus.attach(3, f);
        f.addTestCapability(0x09, 4);
        f.masterAbort();
        int status = f.configRead(0x06, 2);
        assertThat(status).isEqualTo(0x2010); // Received Master Abort, and the capabilities list bit
        f.configWrite(0x06, 2, 0); // zeros leave RW1C bits alone
        assertThat(f.configRead(0x06, 2)).isEqualTo(0x2010);
        f.configWrite(0x06, 2, 0xdfff); // ones everywhere but bit 13: nothing new is set, nothing cleared
        assertThat(f.configRead(0x06, 2)).isEqualTo(0x2010);
        f.configWrite(0x07, 1, 0x20); // byte write of bit 13 clears it
        assertThat(f.configRead(0x06, 2)).isEqualTo(0x0010);
    }

    @Test
    void interruptStatusShowsTheRequestAndInterruptDisableHoldsTheLine() {
        var f = new TestFunction();
        bus.attach(2, f); // slot 2, INTA#: link C
        int irq = bus.irqOf(2, 1);
        assertThat(irq).isEqualTo(5);
        assertThat(f.configRead(0x3c, 1)).isEqualTo(5);
        assertThat(f.configRead(0x3d, 1)).isEqualTo(1);

        f.interrupt(true);
        assertThat(pic.isHigh(5)).isTrue();
        assertThat(f.configRead(0x06, 2) & 0x08).isEqualTo(0x08);
        f.configWrite(0x04, 2, 0x0400); // INTx disable: the line drops, the status still shows the request
        assertThat(pic.isHigh(5)).isFalse();
        assertThat(f.configRead(0x06, 2) & 0x08).isEqualTo(0x08);
        f.configWrite(0x04, 2, 0);
        assertThat(pic.isHigh(5)).isTrue();
        f.interrupt(false);
        assertThat(pic.isHigh(5)).isFalse();
        assertThat(f.configRead(0x06, 2) & 0x08).isZero();
        assertThat(pic.changes()).containsExactly("irq5 high", "irq5 low", "irq5 high", "irq5 low");
    }

    @Test
    void interruptLineIsScratchForTheGuestAndTheRestOfTheHeaderReadsZero() {
        var f = new TestFunction();
        bus.attach(4, f);
        f.configWrite(0x3c, 4, 0xffff_ff42);
        assertThat(f.configRead(0x3c, 4)).isEqualTo(0x0000_0142); // line written; pin, min_gnt, max_lat read-only
        f.configWrite(0x30, 4, -1); // no expansion ROM: sizing finds nothing
        assertThat(f.configRead(0x30, 4)).isZero();
        f.configWrite(0x0c, 2, 0xffff);
        assertThat(f.configRead(0x0c, 2)).isEqualTo(0xffff); // cache line size and latency timer are plain registers
        f.configWrite(0x0f, 1, 0xff);
        assertThat(f.configRead(0x0f, 1)).isZero(); // no BIST
        assertThat(f.configRead(0x100, 4)).isZero(); // no extended capabilities
        assertThat(f.configRead(0xffc, 4)).isZero();
        // An access straddling 0x100 (ECAM allows it) gets the byte below and zeros above.
        f.configWrite(0xfe, 4, -1);
        assertThat(f.configRead(0xfc, 4)).isZero();
        assertThat(f.configRead(0xff, 2)).isZero();
        assertThat(f.configRead(0x3f, 2)).isZero();
    }

    @Test
    void capabilitiesAreChainedFromThePointerOnDwordBoundaries() {
        var f = new TestFunction();
        int first = f.addTestCapability(0x09, 5);
        int second = f.addTestCapability(0x11, 12);
        assertThat(first).isEqualTo(0x40);
        assertThat(second).isEqualTo(0x48);
        assertThat(f.configRead(0x34, 1)).isEqualTo(0x40);
        assertThat(f.configRead(0x40, 2)).isEqualTo(0x4809);
        assertThat(f.configRead(0x48, 2)).isEqualTo(0x0011);
        assertThat(f.configRead(0x06, 2) & 0x10).isEqualTo(0x10);
        f.configWrite(0x40, 4, -1); // capability headers are read-only
        assertThat(f.configRead(0x40, 2)).isEqualTo(0x4809);
    }
}
