package dev.corral.engine.devices.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.engine.devices.legacy.I8259Pair;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

/** Configuration mechanisms, BAR sizing and moves, and INTx routing, as a guest drives them through the buses. */
class PciBusTest {

    private static final long ECAM = 0xb000_0000L;
    private static final long WINDOW = 0xc000_0000L;

    private final RecordingInterruptController pic = new RecordingInterruptController();
    private final PciBus pci = new PciBus(PciBus.Layout.PC, pic);
    private final PortIoBus ports = new PortIoBus();
    private final MmioBus mmio = new MmioBus();

    PciBusTest() {
        ports.register(PciBus.MECHANISM1_PORT, PciBus.MECHANISM1_LENGTH, "pci-config", pci.mechanism1());
        mmio.register(ECAM, PciBus.ECAM_BUS_SIZE, "pci-ecam", pci.ecam());
        mmio.register(WINDOW, PciBus.Layout.PC.windowSize(), "pci-window", pci.window());
        pci.attach(0, new HostBridge());
    }

    private int conf1(int device, int register, int size) {
        ports.write(0xcf8, 4, 0x8000_0000 | device << 11 | (register & 0xfc));
        return ports.read(0xcfc + (register & 3), size);
    }

    private void conf1Write(int device, int register, int size, int value) {
        ports.write(0xcf8, 4, 0x8000_0000 | device << 11 | (register & 0xfc));
        ports.write(0xcfc + (register & 3), size, value);
    }

    @Test
    void mechanism1FindsTheHostBridgeAsLinuxProbesIt() {
        // pci_check_type1: a byte to 0xcfb, then CONFIG_ADDRESS must read back what was written.
        ports.write(0xcfb, 1, 0x01);
        ports.write(0xcf8, 4, 0x8000_0000);
        assertThat(ports.read(0xcf8, 4)).isEqualTo(0x8000_0000);
        assertThat(conf1(0, 0x00, 4)).isEqualTo(0x0008_1b36);
        assertThat(conf1(0, 0x0a, 2)).isEqualTo(0x0600); // host bridge class
        assertThat(conf1(0, 0x0b, 1)).isEqualTo(0x06);
        assertThat(conf1(0, 0x02, 2)).isEqualTo(0x0008);
    }

    @Test
    void mechanism1AnswersAllOnesWhereNoCycleOrNoFunctionIs() {
        ports.write(0xcf8, 4, 0x0000_0000); // enable bit clear
        assertThat(ports.read(0xcfc, 4)).isEqualTo(-1);
        assertThat(conf1(7, 0, 4)).isEqualTo(-1); // empty slot
        ports.write(0xcf8, 4, 0x8001_0000); // bus 1: there is none
        assertThat(ports.read(0xcfc, 4)).isEqualTo(-1);
        ports.write(0xcf8, 4, 0x8000_0100); // function 1 of the host bridge
        assertThat(ports.read(0xcfc, 2)).isEqualTo(0xffff);
        ports.write(0xcf8, 4, 0xffff_ffff); // reserved bits read back zero
        assertThat(ports.read(0xcf8, 4)).isEqualTo(0x80ff_fffc);
        assertThat(ports.read(0xcf8, 1)).isEqualTo(0xff); // a byte at 0xcf8 is not CONFIG_ADDRESS
        assertThat(pci.unclaimedAccesses()).isEqualTo(5);
    }

    @Test
    void ecamReachesTheSameRegistersAsMechanism1() {
        var f = new TestFunction();
        pci.attach(5, f);
        assertThat(mmio.read(ECAM + (5 << 15), 4)).isEqualTo(0x5678_1234L);
        mmio.write(ECAM + (5 << 15) + 0x3c, 1, 0x77);
        assertThat(conf1(5, 0x3c, 1)).isEqualTo(0x77);
        conf1Write(5, 0x0c, 1, 0x10);
        assertThat(mmio.read(ECAM + (5 << 15) + 0x0c, 1)).isEqualTo(0x10L);
        mmio.write(ECAM + (5 << 15) + 0x0c, 8, 0xffff_ffff_0000_0020L); // two dwords: cache line 0x20, BAR 0 sized
        assertThat(mmio.read(ECAM + (5 << 15) + 0x08, 8)).isEqualTo(0x0000_0020_0200_0003L);
        assertThat(mmio.read(ECAM + (5 << 15) + 0x10, 4)).isEqualTo(0xffff_f000L);
        assertThat(mmio.read(ECAM + (6 << 15), 4)).isEqualTo(0xffff_ffffL);
        assertThat(mmio.read(ECAM + (5 << 15) + (1 << 12), 2)).isEqualTo(0xffffL); // function 1
        assertThat(mmio.read(ECAM + (5 << 15) + 0x400, 4)).isZero(); // extended space of a conventional function
    }

    @Test
    void barsArePlacedNaturallyAlignedInTheWindowAndSizedByWritingAllOnes() {
        var f = new TestFunction();
        pci.attach(1, f);
        assertThat(conf1(1, 0x10, 4)).isEqualTo(0xc000_0000); // BAR 0, 32-bit memory
        assertThat(conf1(1, 0x18, 4)).isEqualTo(0xc000_4004); // BAR 2, 64-bit, 16 KiB aligned
        assertThat(conf1(1, 0x1c, 4)).isZero();
        assertThat(conf1(1, 0x14, 4)).isZero(); // BAR 1: not implemented

        conf1Write(1, 0x10, 4, -1);
        assertThat(conf1(1, 0x10, 4)).isEqualTo(~(4096 - 1)); // size 4 KiB, type bits 0
        conf1Write(1, 0x18, 4, -1);
        conf1Write(1, 0x1c, 4, -1);
        assertThat(conf1(1, 0x18, 4)).isEqualTo(~(16384 - 1) | 0b100);
        assertThat(conf1(1, 0x1c, 4)).isEqualTo(-1);
        conf1Write(1, 0x14, 4, -1);
        assertThat(conf1(1, 0x14, 4)).isZero();
        conf1Write(1, 0x10, 4, 0xc000_0000);
        conf1Write(1, 0x18, 4, 0xc000_4000);
        conf1Write(1, 0x1c, 4, 0);
        assertThat(conf1(1, 0x18, 4)).isEqualTo(0xc000_4004);
    }

    @Test
    void barsDecodeOnlyWithMemoryDecodeOnAndFollowTheGuestWhenMoved() {
        var f = new TestFunction();
        pci.attach(1, f);
        assertThat(mmio.read(0xc000_0010L, 4)).isEqualTo(0xffff_ffffL); // decode is off until the guest enables it
        conf1Write(1, 0x04, 2, 0x0002);
        assertThat(mmio.read(0xc000_0010L, 4)).isEqualTo(0x10L);
        assertThat(mmio.read(0xc000_4008L, 8)).isEqualTo(0x0200_0008L);
        mmio.write(0xc000_4ff8L, 8, 0x1122_3344_5566_7788L);
        assertThat(f.accesses).contains("read bar0 +0x10/4", "read bar2 +0x8/8", "write bar2 +0xff8/8 = 0x1122334455667788");

        // Moving BAR 0 by bytes, as a guest may: the old address goes dark, the new one answers.
        conf1Write(1, 0x11, 1, 0x80);
        conf1Write(1, 0x12, 2, 0xd000);
        assertThat(conf1(1, 0x10, 4)).isEqualTo(0xd000_8000);
        assertThat(mmio.read(0xc000_0010L, 4)).isEqualTo(0xffff_ffffL);
        assertThat(mmio.read(0xd000_8010L, 4)).isEqualTo(0x10L);

        conf1Write(1, 0x04, 2, 0x0000); // decode off: both BARs leave the bus
        assertThat(mmio.read(0xd000_8010L, 4)).isEqualTo(0xffff_ffffL);
        assertThat(mmio.read(0xc000_4008L, 4)).isEqualTo(0xffff_ffffL);
        conf1Write(1, 0x04, 2, 0x0002);
        assertThat(mmio.read(0xd000_8010L, 4)).isEqualTo(0x10L);

        // A 64-bit BAR moved above 4 GiB is legal but outside the window: it does not decode there or here.
        conf1Write(1, 0x1c, 4, 0x1);
        assertThat(mmio.read(0xc000_4008L, 4)).isEqualTo(0xffff_ffffL);
        // An access straddling the end of a BAR belongs to no BAR.
        assertThat(mmio.read(0xd000_8ffeL, 4)).isEqualTo(0xffff_ffffL);
    }

    @Test
    void intxPinsAreSwizzledOntoFourLinksAndSharedLinesAreWiredOr() {
        var a = new TestFunction(1);
        var b = new TestFunction(2); // slot 3 pin B: link (3 + 1) mod 4 = A, like slot 4 pin A
        var c = new TestFunction(1);
        pci.attach(3, b);
        pci.attach(4, c);
        pci.attach(9, a); // link (9 + 0) mod 4 = B
        assertThat(b.configRead(0x3c, 1)).isEqualTo(10);
        assertThat(c.configRead(0x3c, 1)).isEqualTo(10);
        assertThat(a.configRead(0x3c, 1)).isEqualTo(11);
        assertThat(new HostBridge().configRead(0x3c, 1)).isZero();

        b.interrupt(true);
        c.interrupt(true);
        b.interrupt(false);
        assertThat(pic.isHigh(10)).isTrue(); // c still asserts
        c.interrupt(false);
        assertThat(pic.isHigh(10)).isFalse();
        a.interrupt(true);
        assertThat(pic.changes()).containsExactly("irq10 high", "irq10 low", "irq11 high");
    }

    @Test
    void linksOnTheSameLineShareIt() {
        var shared = new PciBus(new PciBus.Layout(ECAM, WINDOW, 1 << 20, new int[] {10, 10, 11, 11}), pic);
        var a = new TestFunction(1);
        var b = new TestFunction(1);
        shared.attach(0, a); // link A
        shared.attach(1, b); // link B, same line
        a.interrupt(true);
        b.interrupt(true);
        a.interrupt(false);
        assertThat(pic.isHigh(10)).isTrue();
        b.interrupt(false);
        assertThat(pic.changes()).containsExactly("irq10 high", "irq10 low");
    }

    /**
     * PCI INTx is level-triggered: two functions sharing a line keep it high while either asserts. If the second
     * asserts while the first is being served, the line never drops, so an edge-triggered PIC input sees no new edge
     * and the second interrupt is lost; with the IRQ level-triggered in the ELCR (as Linux sets it for the IRQs the
     * _PRT gives it) the PIC requests it again after the EOI.
     */
    @Test
    void aSharedLineThatStaysHighIsRequestedAgainOnlyWhenItsIrqIsLevelTriggered() {
        for (boolean level : new boolean[] {true, false}) {
            var chips = new I8259Pair(() -> { });
            var io = new PortIoBus();
            io.register(0x20, 2, "pic-master", chips.master());
            io.register(0xa0, 2, "pic-slave", chips.slave());
            io.register(I8259Pair.ELCR_BASE, I8259Pair.ELCR_LENGTH, "elcr", chips.elcrPorts());
            for (int[] write : new int[][] {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x28},
                    {0xa1, 0x02}, {0xa1, 0x01}, {0x21, 0x00}, {0xa1, 0x00}}) {
                io.write(write[0], 1, write[1]); // Linux's init_8259A, everything unmasked
            }
            if (level) {
                io.write(0x4d1, 1, 1 << (10 - 8));
            }
            var shared = new PciBus(new PciBus.Layout(ECAM, WINDOW, 1 << 20, new int[] {10, 10, 11, 11}), chips);
            var a = new TestFunction(1);
            var b = new TestFunction(1);
            shared.attach(0, a); // link A: IRQ 10
            shared.attach(1, b); // link B: IRQ 10 too
            a.interrupt(true);
            assertThat(chips.acknowledge()).isEqualTo(0x2a);
            b.interrupt(true);  // while a's handler runs
            a.interrupt(false); // a's handler acknowledged a: the line stays high for b
            io.write(0xa0, 1, 0x20);
            io.write(0x20, 1, 0x20);
            assertThat(chips.hasInterrupt()).as(level ? "level-triggered: b is requested" : "edge-triggered: b is lost").isEqualTo(level);
        }
    }

    @Test
    void aFullWindowOrATakenSlotIsAVmmBug() {
        var tiny = new PciBus(new PciBus.Layout(ECAM, WINDOW, 8192, new int[] {10, 11, 5, 14}), pic);
        tiny.attach(1, new TestFunction(1));
        assertThatThrownBy(() -> tiny.attach(2, new TestFunction())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("window is full");
        assertThatThrownBy(() -> pci.attach(0, new TestFunction())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("slot 0");
    }
}
