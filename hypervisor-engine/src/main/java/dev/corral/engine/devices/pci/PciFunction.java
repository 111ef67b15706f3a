package dev.corral.engine.devices.pci;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A PCI function with a type 0 configuration header, as its driver sees it: identity registers, the command and
 * status registers, memory BARs, a capabilities list, and one INTx pin. Subclasses are the devices; they declare
 * their BARs and capabilities when built, answer accesses to their BARs by offset ({@link #barRead},
 * {@link #barWrite}), and raise their interrupt through {@link #setInterrupt}. Where the BARs sit in guest-physical
 * space is the {@link PciBus}'s business: a device never sees an absolute address.
 *
 * <p>The header follows PCI Local Bus 3.0 chapter 6: vendor, device, class, revision, subsystem and pin are
 * read-only; the command register keeps memory decode (when there are memory BARs), bus master, parity and SERR
 * enables and INTx disable, every other bit reads zero; the status register's error bits are RW1C, its interrupt
 * bit mirrors the INTx state, its capabilities bit says whether the list is non-empty; there is no expansion ROM,
 * no BIST, no CardBus pointer. Bytes 0x100-0xfff (reachable through ECAM) read zero: there are no PCI Express
 * extended capabilities.
 *
 * <p>Thread-safe: configuration accesses come from vCPU threads, {@link #setInterrupt} and {@link #busMaster} from
 * device workers. Hooks ({@link #capabilityWritten}, {@link #commandWritten}) run after the write, with no lock of
 * this class held, so a subclass may take its own.
 */
public abstract class PciFunction {

    /**
     * What the header says the function is. {@code classCode} is base class, subclass and programming interface
     * (0x018000: mass storage, other); {@code interruptPin} 1-4 for INTA#-INTD#, 0 for none.
     */
    public record Identity(int vendorId, int deviceId, int revision, int classCode, int subsystemVendorId, int subsystemId,
            int interruptPin) {
        public Identity {
            if (interruptPin < 0 || interruptPin > 4) {
                throw new IllegalArgumentException("a PCI interrupt pin is 0 (none) or 1-4 (INTA#-INTD#), not " + interruptPin);
            }
        }
    }

    /** What the bus to which the function is attached hears from it. */
    interface Attachment {
        /** The BARs or the memory decode bit changed: remap. */
        void decodingChanged();

        /** The function's INTx output (after INTx disable) changed. */
        void intx(PciFunction function, boolean asserted);
    }

    private final Identity identity;
    private final ConfigSpace config;
    private final Bar[] bars = new Bar[6];
    private final Object intxLock = new Object();
    private volatile int command;
    private Attachment attachment;
    private boolean interruptRequested; // guarded by intxLock
    private boolean lineDriven; // guarded by intxLock

    protected PciFunction(Identity identity) {
        this.identity = Objects.requireNonNull(identity, "identity");
        this.config = new ConfigSpace(identity);
    }

    public final Identity identity() {
        return identity;
    }

    /** Declares a memory BAR; only while building the device, before it is attached to a bus. */
    protected final synchronized Bar declareBar(int index, Bar.Kind kind, long size) {
        if (attachment != null) {
            throw new IllegalStateException("BARs are declared before the function is attached");
        }
        var bar = new Bar(index, kind, size, false);
        for (int i = index; i < index + bar.slots(); i++) {
            if (bars[i] != null || (i > 0 && bars[i - 1] != null && bars[i - 1].slots() == 2)) {
                throw new IllegalStateException("BAR slot " + i + " is already taken");
            }
        }
        bars[index] = bar;
        config.writable(ConfigSpace.COMMAND, 2, ConfigSpace.COMMAND_MEMORY);
        return bar;
    }

    /**
     * Adds a capability of {@code length} bytes with the given ID and returns its offset in configuration space.
     * Its body is read-only zeros until the subclass sets it ({@link #initConfig}) or opens bits ({@link #openConfig}).
     */
    protected final synchronized int addCapability(int id, int length) {
        return config.addCapability(id, length);
    }

    /** Sets configuration bytes whatever their access rule: capability contents, or a register the function owns. */
    protected final synchronized void initConfig(int offset, int size, int value) {
        config.set(offset, size, value);
    }

    /** Configuration bytes as they are stored, without the read hook: what the guest last wrote, for a capability. */
    protected final synchronized int configValue(int offset, int size) {
        return config.get(offset, size);
    }

    /** Makes the given bits of a capability writable by the guest. */
    protected final synchronized void openConfig(int offset, int size, int mask) {
        config.writable(offset, size, mask);
    }

    /** The guest's configuration read: {@code size} 1, 2 or 4 bytes at {@code offset} (0-4095), zero-extended. */
    public final int configRead(int offset, int size) {
        if (offset < 0 || offset + size > 4096) {
            throw new IllegalArgumentException("configuration space is 4096 bytes; no " + size + "-byte access at " + offset);
        }
        if (offset >= ConfigSpace.SIZE) {
            return 0;
        }
        if (offset + size > ConfigSpace.HEADER_END) {
            capabilityRead(offset, size);
        }
        synchronized (this) {
            int v = 0;
            for (int i = 0; i < size && offset + i < ConfigSpace.SIZE; i++) { // bytes from 0x100 on read zero
                v |= readByte(offset + i) << (8 * i);
            }
            return v;
        }
    }

    /** The guest's configuration write: {@code size} 1, 2 or 4 bytes at {@code offset} (0-4095). */
    public final void configWrite(int offset, int size, int value) {
        if (offset < 0 || offset + size > 4096) {
            throw new IllegalArgumentException("configuration space is 4096 bytes; no " + size + "-byte access at " + offset);
        }
        if (offset >= ConfigSpace.SIZE) {
            return;
        }
        int oldCommand;
        int newCommand;
        boolean barsChanged = false;
        synchronized (this) {
            oldCommand = config.get(ConfigSpace.COMMAND, 2);
            for (int i = 0; i < size && offset + i < ConfigSpace.SIZE; i++) {
                int at = offset + i;
                int b = (value >>> (8 * i)) & 0xff;
                if (at >= ConfigSpace.BAR0 && at < ConfigSpace.CARDBUS_CIS) {
                    barsChanged |= writeBarByte(at, b);
                } else {
                    config.write(at, 1, b);
                }
            }
            newCommand = config.get(ConfigSpace.COMMAND, 2);
            command = newCommand;
        }
        if (oldCommand != newCommand) {
            updateLine();
            commandWritten(oldCommand, newCommand);
        }
        var bus = attachment();
        if (bus != null && (barsChanged || ((oldCommand ^ newCommand) & ConfigSpace.COMMAND_MEMORY) != 0)) {
            bus.decodingChanged();
        }
        if (offset + size > ConfigSpace.HEADER_END) {
            capabilityWritten(offset, size);
        }
    }

    /** Reads {@code size} bytes (1, 2, 4 or 8) at {@code offset} into BAR {@code bar}; the offset lies inside it. */
    protected long barRead(int bar, long offset, int size) {
        return -1L;
    }

    /** Writes {@code size} bytes (1, 2, 4 or 8) at {@code offset} into BAR {@code bar}. */
    protected void barWrite(int bar, long offset, int size, long value) {
    }

    /**
     * The guest is about to read configuration bytes overlapping the capabilities area (0x40 onwards): a capability
     * whose register reflects device state (virtio's PCI configuration access window) refreshes it here.
     */
    protected void capabilityRead(int offset, int size) {
    }

    /** The guest wrote configuration bytes overlapping the capabilities area (0x40 onwards). */
    protected void capabilityWritten(int offset, int size) {
    }

    /** The guest changed the command register. */
    protected void commandWritten(int oldCommand, int newCommand) {
    }

    /**
     * Drives the function's INTx pin. The line follows unless the guest set INTx disable in the command register;
     * the status register's interrupt bit shows the request either way.
     */
    protected final void setInterrupt(boolean asserted) {
        synchronized (intxLock) {
            interruptRequested = asserted;
        }
        updateLine();
    }

    /** Whether the guest let the function master the bus (DMA, and MSI, which is a DMA write). */
    public final boolean busMaster() {
        return (command & ConfigSpace.COMMAND_BUS_MASTER) != 0;
    }

    /** Whether INTx is disabled (a function using MSI-X must not use INTx anyway). */
    protected final boolean intxDisabled() {
        return (command & ConfigSpace.COMMAND_INTX_DISABLE) != 0;
    }

    /** Records that a DMA of this function was not claimed (an address outside RAM): status Received Master Abort. */
    public final synchronized void masterAbort() {
        config.set(ConfigSpace.STATUS, 2, config.get(ConfigSpace.STATUS, 2) | ConfigSpace.STATUS_RECEIVED_MASTER_ABORT);
    }

    /** The BARs declared, lowest index first. */
    public final synchronized List<Bar> bars() {
        var list = new ArrayList<Bar>();
        for (var bar : bars) {
            if (bar != null) {
                list.add(bar);
            }
        }
        return list;
    }

    /** The BARs that decode now (memory decode on), as (bar, base) pairs for the bus's address map. */
    final synchronized List<Decoded> decoded() {
        if ((config.get(ConfigSpace.COMMAND, 2) & ConfigSpace.COMMAND_MEMORY) == 0) {
            return List.of();
        }
        var list = new ArrayList<Decoded>();
        for (var bar : bars) {
            if (bar != null) {
                list.add(new Decoded(this, bar.index(), bar.address(), bar.size()));
            }
        }
        return list;
    }

    /** One BAR's window as the bus maps it. */
    record Decoded(PciFunction function, int bar, long base, long size) {
        boolean contains(long address, int length) {
            return Long.compareUnsigned(address, base) >= 0 && Long.compareUnsigned(address - base, size - length) <= 0;
        }
    }

    final synchronized void attach(Attachment bus, int interruptLine) {
        if (attachment != null) {
            throw new IllegalStateException("a PCI function sits in one slot");
        }
        attachment = bus;
        config.set(ConfigSpace.INTERRUPT_LINE, 1, identity.interruptPin() == 0 ? 0xff : interruptLine);
    }

    /** The VMM's placement of a BAR (firmware's job on a real PC), before the guest runs. */
    final synchronized void placeBar(int index, long address) {
        bars[index].place(address);
    }

    private synchronized Attachment attachment() {
        return attachment;
    }

    private void updateLine() {
        var bus = attachment();
        synchronized (intxLock) {
            boolean drive = interruptRequested && !intxDisabled();
            if (drive != lineDriven) {
                lineDriven = drive;
                if (bus != null) {
                    bus.intx(this, drive);
                }
            }
        }
    }

    private int readByte(int at) {
        if (at >= ConfigSpace.BAR0 && at < ConfigSpace.CARDBUS_CIS) {
            int slot = (at - ConfigSpace.BAR0) / 4;
            return (barRegister(slot) >>> (8 * (at & 3))) & 0xff;
        }
        int v = config.get(at, 1);
        if (at == ConfigSpace.STATUS) {
            boolean requested;
            synchronized (intxLock) {
                requested = interruptRequested;
            }
            v = requested ? v | ConfigSpace.STATUS_INTERRUPT : v & ~ConfigSpace.STATUS_INTERRUPT;
        }
        return v;
    }

    private int barRegister(int slot) {
        if (bars[slot] != null) {
            return bars[slot].read(false);
        }
        if (slot > 0 && bars[slot - 1] != null && bars[slot - 1].slots() == 2) {
            return bars[slot - 1].read(true);
        }
        return 0; // unimplemented BAR: hard-wired zero, so sizing finds nothing
    }

    /** Merges one byte into a BAR register; returns whether the BAR's address changed. */
    private boolean writeBarByte(int at, int b) {
        int slot = (at - ConfigSpace.BAR0) / 4;
        int shift = 8 * (at & 3);
        int merged = (barRegister(slot) & ~(0xff << shift)) | (b << shift);
        Bar bar;
        boolean upper;
        if (bars[slot] != null) {
            bar = bars[slot];
            upper = false;
        } else if (slot > 0 && bars[slot - 1] != null && bars[slot - 1].slots() == 2) {
            bar = bars[slot - 1];
            upper = true;
        } else {
            return false;
        }
        long before = bar.address();
        bar.write(upper, merged);
        return bar.address() != before;
    }
}
