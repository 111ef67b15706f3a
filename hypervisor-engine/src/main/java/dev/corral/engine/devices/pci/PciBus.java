package dev.corral.engine.devices.pci;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.MmioDevice;
import dev.corral.engine.machine.PortIoDevice;

/**
 * PCI bus 0 behind the host bridge: 32 device slots of one function each, reached through configuration
 * mechanism #1 ({@link #mechanism1}, ports 0xcf8-0xcff) and ECAM ({@link #ecam}, an MMIO window of 1 MiB for bus
 * 0), and the memory window in which the functions' BARs decode ({@link #window}). The bus translates: a function
 * sees offsets into its BARs, never an address. The VMM places every BAR when the function is attached (firmware's
 * job on a PC), naturally aligned and in slot order from the bottom of the window, 64-bit BARs too, so a guest
 * that never moves them finds them below 4 GiB; a guest may move them anywhere, and disabling memory decode in a
 * function's command register takes its BARs off the bus. A BAR moved outside the window is not decoded.
 *
 * <p>INTx: a function's pin is swizzled with its slot onto one of four links, (slot + pin - 1) mod 4, and each
 * link is wired to an interrupt line ({@link Layout#linkIrqs}); the attach writes that line's number into the
 * function's Interrupt Line register, which is what Linux without an ACPI _PRT or a $PIR table uses. Functions
 * sharing a line are wired-OR: the line is high while any of them asserts.
 *
 * <p>Nothing a guest does through these windows throws: an absent function reads all-ones, writes to it vanish,
 * accesses that straddle a BAR's end or hit no BAR read all-ones and are counted.
 *
 * <p>Thread-safe: vCPU threads access configuration and BARs; device workers drive INTx.
 */
public final class PciBus {

    public static final int SLOTS = 32;
    public static final int MECHANISM1_PORT = 0xcf8;
    public static final int MECHANISM1_LENGTH = 8;
    /** ECAM bytes per bus: 32 devices x 8 functions x 4 KiB. */
    public static final long ECAM_BUS_SIZE = 1L << 20;

    /**
     * Where the bus lives in guest-physical space. {@code ecamBase}: 1 MiB of ECAM for bus 0 (MCFG: segment 0, buses
     * 0-0). {@code windowBase}/{@code windowSize}: the memory window BARs are placed in and decoded from, below 4 GiB
     * and clear of RAM, the IOAPIC (0xfec00000) and the local APIC (0xfee00000). {@code linkIrqs}: the four INTx
     * links' interrupt lines (ISA IRQs on the PIC, GSIs on an IOAPIC).
     */
    public record Layout(long ecamBase, long windowBase, long windowSize, int[] linkIrqs) {
        /**
         * The PC layout: ECAM at 0xb0000000 (as QEMU's q35), the window 0xc0000000-0xfebfffff, links A-D on IRQ 10,
         * 11, 5 and 14 (free on a PC without IDE; 9 is left to the ACPI SCI).
         */
        public static final Layout PC = new Layout(0xb000_0000L, 0xc000_0000L, 0xfec0_0000L - 0xc000_0000L, new int[] {10, 11, 5, 14});

        /**
         * The PC layout on a machine with an I/O APIC: links A-D on GSIs 16-19, pins only the I/O APIC has (as on
         * QEMU's q35), which the firmware tables declare level-triggered, active low, as PCI INTx is; the ISA pins
         * stay edge-triggered for the ISA devices.
         */
        public static final Layout PC_IOAPIC = new Layout(PC.ecamBase(), PC.windowBase(), PC.windowSize(), new int[] {16, 17, 18, 19});

        public Layout {
            linkIrqs = linkIrqs.clone();
            if (linkIrqs.length != 4) {
                throw new IllegalArgumentException("PCI has four INTx links, not " + linkIrqs.length);
            }
            if ((ecamBase & (ECAM_BUS_SIZE - 1)) != 0 || windowSize <= 0 || windowBase + windowSize > 1L << 32) {
                throw new IllegalArgumentException("ECAM is 1 MiB aligned and the BAR window lies below 4 GiB");
            }
        }

        @Override
        public int[] linkIrqs() {
            return linkIrqs.clone();
        }
    }

    private final Layout layout;
    private final PciFunction[] slots = new PciFunction[SLOTS];
    private final InterruptLine[] links = new InterruptLine[4];
    private final int[] linkAsserters = new int[4]; // bit per slot; guarded by links
    private volatile List<PciFunction.Decoded> decoded = List.of();
    private long nextBar;
    private long unclaimed;
    private int configAddress; // mechanism #1's CONFIG_ADDRESS

    public PciBus(Layout layout, InterruptController interrupts) {
        this.layout = Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(interrupts, "interrupts");
        var irqs = layout.linkIrqs();
        for (int i = 0; i < 4; i++) {
            // One InterruptLine per distinct IRQ: two links on one line share it.
            for (int j = 0; j < i; j++) {
                if (irqs[j] == irqs[i]) {
                    links[i] = links[j];
                }
            }
            if (links[i] == null) {
                links[i] = new InterruptLine(interrupts, irqs[i]);
            }
        }
        this.nextBar = layout.windowBase();
    }

    public Layout layout() {
        return layout;
    }

    /**
     * Puts {@code function} in {@code slot} (function 0), places its BARs in the window and wires its INTx pin.
     * Throws {@link IllegalStateException} if the slot is taken or the window is full: a VMM bug.
     */
    public synchronized void attach(int slot, PciFunction function) {
        if (slot < 0 || slot >= SLOTS || slots[slot] != null) {
            throw new IllegalStateException("PCI slot " + slot + " is not free on bus 0");
        }
        int pin = function.identity().interruptPin();
        function.attach(new Attachment(slot), pin == 0 ? 0xff : irqOf(slot, pin));
        for (var bar : function.bars()) {
            long at = (nextBar + bar.size() - 1) & -bar.size();
            if (at + bar.size() > layout.windowBase() + layout.windowSize()) {
                throw new IllegalStateException("the PCI window is full: no room for " + bar + " of slot " + slot);
            }
            function.placeBar(bar.index(), at);
            nextBar = at + bar.size();
        }
        slots[slot] = function;
        remap();
    }

    /** The interrupt line INTx pin {@code pin} (1-4) of the function in {@code slot} is wired to. */
    public int irqOf(int slot, int pin) {
        return layout.linkIrqs()[(slot + pin - 1) & 3];
    }

    /** Accesses that reached the window or a configuration mechanism and found nothing there. */
    public synchronized long unclaimedAccesses() {
        return unclaimed;
    }

    /** Ports 0xcf8-0xcff: CONFIG_ADDRESS (a dword at 0xcf8) and CONFIG_DATA (any width at 0xcfc-0xcff). */
    public PortIoDevice mechanism1() {
        return new PortIoDevice() {
            @Override
            public int read(int offset, int size) {
                if (offset == 0 && size == 4) {
                    synchronized (PciBus.this) {
                        return configAddress;
                    }
                }
                int a;
                synchronized (PciBus.this) {
                    a = configAddress;
                }
                // Only a dword at 0xcf8 is CONFIG_ADDRESS, and only with its enable bit (31) set is 0xcfc-0xcff a
                // configuration cycle: anything else is a plain I/O cycle nobody claims.
                if (offset < 4 || a >= 0 || offset + size > 8) {
                    countUnclaimed();
                    return (int) ((1L << (8 * size)) - 1);
                }
                return configRead((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7, (a & 0xfc) + offset - 4, size);
            }

            @Override
            public void write(int offset, int size, int value) {
                if (offset == 0 && size == 4) {
                    synchronized (PciBus.this) {
                        configAddress = value & 0x80ff_fffc; // reserved bits 30:24 and 1:0 read zero
                    }
                    return;
                }
                if (offset < 4) {
                    return; // Linux's probe writes a byte to 0xcfb (the old mechanism #2 enable): not ours
                }
                int a;
                synchronized (PciBus.this) {
                    a = configAddress;
                }
                if (a < 0 && offset + size <= 8) {
                    configWrite((a >>> 16) & 0xff, (a >>> 11) & 0x1f, (a >>> 8) & 7, (a & 0xfc) + offset - 4, size, value);
                }
            }
        };
    }

    /** The ECAM window for bus 0, {@link #ECAM_BUS_SIZE} bytes: offset = device << 15 | function << 12 | register. */
    public MmioDevice ecam() {
        return new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                if (size == 8) {
                    return (read(offset, 4) & 0xffffffffL) | (read(offset + 4, 4) << 32);
                }
                int register = (int) (offset & 0xfff);
                if (register + size > 4096) {
                    return (1L << (8 * size)) - 1;
                }
                return configRead(0, (int) (offset >>> 15) & 0x1f, (int) (offset >>> 12) & 7, register, size) & 0xffffffffL;
            }

            @Override
            public void write(long offset, int size, long value) {
                if (size == 8) {
                    write(offset, 4, value & 0xffffffffL);
                    write(offset + 4, 4, value >>> 32);
                    return;
                }
                int register = (int) (offset & 0xfff);
                if (register + size <= 4096) {
                    configWrite(0, (int) (offset >>> 15) & 0x1f, (int) (offset >>> 12) & 7, register, size, (int) value);
                }
            }
        };
    }

    /** The BAR window, {@link Layout#windowSize} bytes from {@link Layout#windowBase}: dispatches to the BAR hit. */
    public MmioDevice window() {
        return new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                long address = layout.windowBase() + offset;
                var hit = find(address, size);
                if (hit == null) {
                    countUnclaimed();
                    return -1L;
                }
                return hit.function().barRead(hit.bar(), address - hit.base(), size);
            }

            @Override
            public void write(long offset, int size, long value) {
                long address = layout.windowBase() + offset;
                var hit = find(address, size);
                if (hit == null) {
                    countUnclaimed();
                    return;
                }
                hit.function().barWrite(hit.bar(), address - hit.base(), size, value);
            }
        };
    }

    /** A configuration read of bus/device/function/register; all-ones where there is no function. */
    public int configRead(int bus, int device, int function, int register, int size) {
        var f = functionAt(bus, device, function);
        if (f == null) {
            countUnclaimed();
            return size == 4 ? -1 : (1 << (8 * size)) - 1;
        }
        return f.configRead(register, size);
    }

    public void configWrite(int bus, int device, int function, int register, int size, int value) {
        var f = functionAt(bus, device, function);
        if (f == null) {
            countUnclaimed();
            return;
        }
        f.configWrite(register, size, value);
    }

    private synchronized PciFunction functionAt(int bus, int device, int function) {
        return bus == 0 && function == 0 ? slots[device] : null;
    }

    private PciFunction.Decoded find(long address, int size) {
        for (var d : decoded) {
            if (d.contains(address, size)) {
                return d;
            }
        }
        return null;
    }

    private synchronized void countUnclaimed() {
        unclaimed++;
    }

    /** Rebuilds the address map from every function's BARs and decode bit; lookups read the latest map. */
    private synchronized void remap() {
        var map = new ArrayList<PciFunction.Decoded>();
        for (var f : slots) {
            if (f != null) {
                map.addAll(f.decoded());
            }
        }
        decoded = List.copyOf(map);
    }

    private final class Attachment implements PciFunction.Attachment {
        private final int slot;

        Attachment(int slot) {
            this.slot = slot;
        }

        @Override
        public void decodingChanged() {
            remap();
        }

        @Override
        public void intx(PciFunction function, boolean asserted) {
            int link = (slot + function.identity().interruptPin() - 1) & 3;
            var line = links[link];
            synchronized (links) {
                // Wired-OR over every link on this line: the line drops when the last asserting function lets go.
                for (int i = 0; i < 4; i++) {
                    if (links[i] == line) {
                        linkAsserters[i] = i == link ? (asserted ? linkAsserters[i] | 1 << slot : linkAsserters[i] & ~(1 << slot))
                                : linkAsserters[i];
                    }
                }
                boolean high = false;
                for (int i = 0; i < 4; i++) {
                    high |= links[i] == line && linkAsserters[i] != 0;
                }
                line.set(high);
            }
        }
    }
}
