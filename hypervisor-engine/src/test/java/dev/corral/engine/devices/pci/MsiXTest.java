package dev.corral.engine.devices.pci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

/** MSI-X as a guest programs it through configuration space and the table BAR (PCI Local Bus 3.0, 6.8.2). */
class MsiXTest {

    /** A function with an 8-vector MSI-X table at 0 and PBA at 0x800 of its 4 KiB BAR 0. */
    static final class MsixFunction extends PciFunction {
        final MsiX msix;

        MsixFunction(MsiSink sink) {
            super(new Identity(0x1af4, 0x1042, 1, 0x018000, 0x1af4, 0x1100, 1));
            declareBar(0, Bar.Kind.MEMORY32, 4096);
            addCapability(0x09, 16); // something before it, as virtio has
            msix = new MsiX(this, 8, 0, 0, 0x800, sink);
        }

        @Override
        protected long barRead(int bar, long offset, int size) {
            if (offset < msix.tableSize()) {
                return msix.tableRead(offset, size);
            }
            return offset >= 0x800 && offset - 0x800 < msix.pbaSize() ? msix.pbaRead(offset - 0x800, size) : 0;
        }

        @Override
        protected void barWrite(int bar, long offset, int size, long value) {
            if (offset < msix.tableSize()) {
                msix.tableWrite(offset, size, value);
            }
        }

        @Override
        protected void capabilityWritten(int offset, int size) {
            msix.configWritten(offset, size);
        }
    }

    private final List<String> messages = new ArrayList<>();
    private final MsixFunction f = new MsixFunction((address, data) -> messages.add(Long.toHexString(address) + "=" + Integer.toHexString(data)));
    private final MmioBus mmio = new MmioBus();
    private final int cap;

    MsiXTest() {
        var bus = new PciBus(PciBus.Layout.PC, new RecordingInterruptController());
        bus.attach(1, f);
        mmio.register(0xc000_0000L, PciBus.Layout.PC.windowSize(), "pci-window", bus.window());
        f.configWrite(0x04, 2, 0x0006); // memory decode and bus master
        cap = f.msix.capabilityOffset();
    }

    private void program(int vector, long address, int data) {
        long entry = 0xc000_0000L + 16L * vector;
        mmio.write(entry, 4, address & 0xffffffffL);
        mmio.write(entry + 4, 4, address >>> 32);
        mmio.write(entry + 8, 4, data & 0xffffffffL);
    }

    private void mask(int vector, boolean masked) {
        mmio.write(0xc000_0000L + 16L * vector + 12, 4, masked ? 1 : 0);
    }

    private void control(int bits) {
        f.configWrite(cap + 2, 2, bits);
    }

    @Test
    void theCapabilityDescribesTheTableAndOnlyEnableAndFunctionMaskAreWritable() {
        assertThat(f.configRead(0x34, 1)).isEqualTo(0x40);
        assertThat(f.configRead(0x41, 1)).isEqualTo(cap);
        assertThat(f.configRead(cap, 1)).isEqualTo(0x11);
        assertThat(f.configRead(cap + 2, 2)).isEqualTo(7); // table size - 1, disabled, unmasked
        assertThat(f.configRead(cap + 4, 4)).isZero(); // table at offset 0 of BAR 0
        assertThat(f.configRead(cap + 8, 4)).isEqualTo(0x800); // PBA at 0x800 of BAR 0
        control(0xffff);
        assertThat(f.configRead(cap + 2, 2)).isEqualTo(0xc007);
        f.configWrite(cap + 4, 4, -1);
        assertThat(f.configRead(cap + 4, 4)).isZero();
    }

    @Test
    void everyVectorStartsMaskedAndTheTableKeepsOnlyDefinedBits() {
        for (int v = 0; v < 8; v++) {
            assertThat(mmio.read(0xc000_0000L + 16L * v + 12, 4)).isEqualTo(1L);
        }
        program(3, 0xfee0_1003L, 0x4041);
        mmio.write(0xc000_0000L + 16 * 3 + 12, 4, 0xffff_fffeL);
        assertThat(mmio.read(0xc000_0000L + 16 * 3, 4)).isEqualTo(0xfee0_1000L); // DWORD aligned
        assertThat(mmio.read(0xc000_0000L + 16 * 3 + 8, 4)).isEqualTo(0x4041L);
        assertThat(mmio.read(0xc000_0000L + 16 * 3 + 12, 4)).isZero(); // unmasked; reserved bits read zero
        assertThat(mmio.read(0xc000_0000L + 16 * 3, 8)).isEqualTo(0xfee0_1000L);
    }

    @Test
    void anUnmaskedVectorSendsItsMessageAtOnce() {
        program(2, 0xfee0_0000L, 0x31);
        mask(2, false);
        control(0x8000);
        assertThat(f.msix.fire(2)).isTrue();
        assertThat(messages).containsExactly("fee00000=31");
        assertThat(f.msix.sent()).isEqualTo(1);
    }

    @Test
    void aMaskedVectorIsPendingUntilUnmaskedThenSentOnce() {
        program(5, 0xfee0_2000L, 0x52);
        control(0x8000);
        f.msix.fire(5);
        f.msix.fire(5);
        assertThat(messages).isEmpty();
        assertThat(f.msix.pending(5)).isTrue();
        assertThat(mmio.read(0xc000_0800L, 8)).isEqualTo(1L << 5);
        mmio.write(0xc000_0800L, 8, 0); // the PBA is read-only
        assertThat(mmio.read(0xc000_0800L, 4)).isEqualTo(1L << 5);
        mask(5, false);
        assertThat(messages).containsExactly("fee02000=52");
        assertThat(f.msix.pending(5)).isFalse();
        assertThat(mmio.read(0xc000_0800L, 8)).isZero();
    }

    @Test
    void theFunctionMaskHoldsEveryVectorAndReleasesThePendingOnes() {
        program(0, 0xfee0_0000L, 0x20);
        program(1, 0xfee0_0000L, 0x21);
        program(7, 0xfee0_0000L, 0x27);
        mask(0, false);
        mask(1, false);
        control(0xc000); // enabled, function masked
        f.msix.fire(0);
        f.msix.fire(7); // also masked on its own
        assertThat(messages).isEmpty();
        assertThat(mmio.read(0xc000_0800L, 1)).isEqualTo(0x81L);
        control(0x8000);
        assertThat(messages).containsExactly("fee00000=20"); // vector 7 stays pending behind its own mask
        assertThat(f.msix.pending(7)).isTrue();
    }

    @Test
    void nothingIsSentWhileMsixIsDisabledOrBusMasteringIsOff() {
        program(1, 0xfee0_0000L, 0x99);
        mask(1, false);
        f.msix.fire(1);
        assertThat(messages).isEmpty();
        assertThat(f.msix.pending(1)).isFalse(); // disabled: the device signals INTx instead, nothing is pending
        control(0x8000);
        f.configWrite(0x04, 2, 0x0002); // bus master off: an MSI is a write the function cannot issue
        f.msix.fire(1);
        assertThat(messages).isEmpty();
        f.configWrite(0x04, 2, 0x0006);
        f.msix.fire(1);
        assertThat(messages).containsExactly("fee00000=99");
    }

    @Test
    void aVectorOutsideTheTableIsNotSignalled() {
        control(0x8000);
        assertThat(f.msix.fire(8)).isFalse();
        assertThat(f.msix.fire(0xffff)).isFalse();
        assertThat(messages).isEmpty();
    }

    @Test
    void accessesRunningPastTheTableOrPbaTouchOnlyWhatIsInside() {
        f.msix.tableWrite(f.msix.tableSize() - 4, 8, 0x1111_1111_0000_0000L); // vector 7's control: mask cleared
        assertThat(f.msix.tableRead(f.msix.tableSize() - 4, 8)).isZero();
        assertThat(f.msix.pbaRead(f.msix.pbaSize() - 2, 8)).isZero();
        assertThat(f.msix.tableRead(f.msix.tableSize() - 8, 8)).isEqualTo(0L); // data 0, unmasked
    }

    @Test
    void aTableOfAnImpossibleSizeIsRefused() {
        assertThatThrownBy(() -> new MsiX(new TestFunction(), 0, 0, 0, 0x800, (a, d) -> { }))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MsiX(new TestFunction(), 4, 0, 4, 0x800, (a, d) -> { }))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
