package dev.corral.engine.devices.pci;

import java.util.ArrayList;
import java.util.List;

/**
 * A PCI function for tests: a 4 KiB 32-bit BAR 0 and a 16 KiB 64-bit BAR 2 that remember what was written to them
 * and read back {@code bar << 24 | offset}, INTA#, and a public interrupt output.
 */
public final class TestFunction extends PciFunction {

    public final List<String> accesses = new ArrayList<>();

    public TestFunction() {
        super(new Identity(0x1234, 0x5678, 3, 0x020000, 0x1af4, 0x1100, 1));
        declareBar(0, Bar.Kind.MEMORY32, 4096);
        declareBar(2, Bar.Kind.MEMORY64, 16384);
    }

    public TestFunction(int pin) {
        super(new Identity(0x1234, 0x5678, 3, 0x020000, 0x1af4, 0x1100, pin));
        declareBar(0, Bar.Kind.MEMORY32, 4096);
    }

    @Override
    protected synchronized long barRead(int bar, long offset, int size) {
        accesses.add("read bar" + bar + " +0x" + Long.toHexString(offset) + "/" + size);
        return ((long) bar << 24) | offset;
    }

    @Override
    protected synchronized void barWrite(int bar, long offset, int size, long value) {
        accesses.add("write bar" + bar + " +0x" + Long.toHexString(offset) + "/" + size + " = 0x" + Long.toHexString(value));
    }

    public void interrupt(boolean asserted) {
        setInterrupt(asserted);
    }

    public int addTestCapability(int id, int length) {
        return addCapability(id, length);
    }
}
