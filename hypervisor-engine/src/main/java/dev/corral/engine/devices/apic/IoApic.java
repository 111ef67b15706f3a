package dev.corral.engine.devices.apic;

import java.util.Objects;

import dev.corral.engine.devices.apic.ApicMessage.DeliveryMode;
import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.MmioDevice;

/**
 * The I/O APIC: 24 interrupt input pins, each with a redirection entry that turns the pin's signal into an
 * interrupt message on the {@link ApicBus} (Intel 82093AA datasheet), with the register set of the version-0x20
 * I/O APIC integrated in Intel's ICH southbridges, the one QEMU's PCs have: the 82093AA's registers plus an EOI
 * register. Version 0x20 rather than the 82093AA's 0x11 because with it Linux retires a level-triggered interrupt
 * whose EOI broadcast it suppressed (or whose remote IRR it must clear by hand) by writing the vector to the EOI
 * register, instead of flipping the entry to edge and back.
 *
 * <p>Memory-mapped at 0xfec00000: IOREGSEL (offset 0x00) selects a register, IOWIN (0x10) reads or writes it as a
 * 32-bit access, EOI (0x40) takes a vector. Registers: 0x00 the ID (bits 27:24), 0x01 the version (0x20, highest
 * entry 23), 0x02 the arbitration id (the ID), 0x10-0x3f the redirection table, two registers per entry: vector,
 * delivery mode (fixed, lowest priority, SMI, NMI, INIT, ExtINT), destination mode, delivery status (always 0: a
 * message is delivered at once), polarity, remote IRR, trigger mode, mask; destination in bits 63:56.
 *
 * <p>Pins: the machine drives them through {@link #setLevel} (pin = GSI), saying whether the device asserts its
 * interrupt. The board's wiring gives each pin an electrical polarity (active high unless the constructor says
 * otherwise, as ISA interrupts and the ACPI SCI are declared in the MADT); the entry's polarity bit says which
 * level the I/O APIC takes as asserted, so an entry programmed against the wiring sees an idle device as asserting,
 * as on real hardware. Edge-triggered entries send one message per rising edge; an edge while the pin is masked is
 * lost (datasheet: "ignored, not held pending"). Level-triggered entries send while the input is asserted and the
 * remote IRR is clear, set the remote IRR when a local APIC accepts, and send again after the EOI (a local APIC's
 * EOI broadcast, or the EOI register) if the input is still asserted. NMI, INIT and ExtINT are always edge-triggered.
 * Writing an entry as edge-triggered clears its remote IRR (as QEMU and the integrated I/O APICs do).
 *
 * <p>Thread-safe: devices on any thread drive pins while vCPUs program entries and broadcast EOIs. Delivery goes
 * to the local APICs with this I/O APIC's lock held; they never call back into it while holding theirs.
 */
public final class IoApic implements MmioDevice, InterruptController {

    public static final long DEFAULT_BASE = 0xfec00000L;
    public static final int LENGTH = 0x1000;
    public static final int PINS = 24;
    public static final int VERSION = 0x20;

    // Memory-mapped registers.
    static final int IOREGSEL = 0x00, IOWIN = 0x10, EOI = 0x40;
    // Indirect registers.
    static final int IOAPICID = 0x00, IOAPICVER = 0x01, IOAPICARB = 0x02, IOREDTBL = 0x10;
    // Redirection entry bits.
    static final long DESTINATION_LOGICAL = 1 << 11, DELIVERY_STATUS = 1 << 12, POLARITY_LOW = 1 << 13,
            REMOTE_IRR = 1 << 14, TRIGGER_LEVEL = 1 << 15, MASKED = 1 << 16;
    private static final long WRITABLE = 0xffL << 56 | 0x1afffL; // destination; vector to mask, less the read-only bits

    private final ApicBus bus;
    private final int activeLowPins;
    private int id;
    private int select;
    private final long[] redirection = new long[PINS];
    private final boolean[] asserted = new boolean[PINS]; // what the devices say
    private final boolean[] active = new boolean[PINS];   // the input as this I/O APIC last saw it, for edges

    /** An I/O APIC with every pin wired active high; {@code id} is its 4-bit APIC id (the MADT's). */
    public IoApic(int id, ApicBus bus) {
        this(id, bus, 0);
    }

    /** {@code activeLowPins}: a bit per pin whose signal is wired active low (PCI INTx lines, say). */
    public IoApic(int id, ApicBus bus, int activeLowPins) {
        if (id < 0 || id > 0xf) {
            throw new IllegalArgumentException("an I/O APIC id is 0-15, not " + id);
        }
        this.id = id;
        this.bus = Objects.requireNonNull(bus, "bus");
        this.activeLowPins = activeLowPins;
        for (int pin = 0; pin < PINS; pin++) {
            redirection[pin] = MASKED;
            active[pin] = inputActive(pin);
        }
        bus.addEoiListener(this::endOfInterrupt);
    }

    @Override
    public synchronized long read(long offset, int size) {
        return switch ((int) offset) {
            case IOREGSEL -> select;
            case IOWIN -> size == 4 ? readRegister(select) : 0; // the window is a 32-bit register
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        switch ((int) offset) {
            case IOREGSEL -> select = (int) value & 0xff;
            case IOWIN -> {
                if (size == 4) {
                    writeRegister(select, (int) value);
                }
            }
            case EOI -> endOfInterrupt((int) value & 0xff);
            default -> { } // nothing else in the page
        }
    }

    private long readRegister(int index) {
        if (index >= IOREDTBL && index < IOREDTBL + 2 * PINS) {
            long entry = redirection[(index - IOREDTBL) >> 1];
            return (index & 1) == 0 ? entry & 0xffffffffL : entry >>> 32;
        }
        return switch (index) {
            case IOAPICID, IOAPICARB -> id << 24;
            case IOAPICVER -> (PINS - 1) << 16 | VERSION;
            default -> 0; // reserved
        };
    }

    private void writeRegister(int index, int value) {
        if (index == IOAPICID) {
            id = value >>> 24 & 0xf;
        } else if (index >= IOREDTBL && index < IOREDTBL + 2 * PINS) {
            int pin = (index - IOREDTBL) >> 1;
            long entry = redirection[pin];
            long written = (index & 1) == 0
                    ? entry & ~0xffffffffL | value & 0xffffffffL
                    : entry & 0xffffffffL | (long) value << 32;
            entry = entry & ~WRITABLE | written & WRITABLE;
            if ((entry & TRIGGER_LEVEL) == 0) {
                entry &= ~REMOTE_IRR;
            }
            redirection[pin] = entry;
            evaluate(pin); // an unmasked asserted level, or a polarity flip, acts at once
        }
        // The version and arbitration registers are read-only; the rest is reserved.
    }

    /** Drives pin {@code pin} (a GSI, 0-23): {@code asserted} says whether its device signals an interrupt. */
    @Override
    public synchronized void setLevel(int pin, boolean asserted) {
        if (pin < 0 || pin >= PINS) {
            throw new IllegalArgumentException("the I/O APIC has pins 0-" + (PINS - 1) + ", not " + pin);
        }
        this.asserted[pin] = asserted;
        evaluate(pin);
    }

    /** An EOI for {@code vector}: level-triggered entries with that vector clear their remote IRR. */
    private synchronized void endOfInterrupt(int vector) {
        for (int pin = 0; pin < PINS; pin++) {
            long entry = redirection[pin];
            if ((entry & 0xff) == vector && (entry & (TRIGGER_LEVEL | REMOTE_IRR)) == (TRIGGER_LEVEL | REMOTE_IRR)) {
                redirection[pin] = entry & ~REMOTE_IRR;
                evaluate(pin);
            }
        }
    }

    /** Whether the I/O APIC sees pin {@code pin} asserted: the device's signal through the wiring and the polarity bit. */
    private boolean inputActive(int pin) {
        boolean wiredLow = (activeLowPins >>> pin & 1) != 0;
        boolean electricallyHigh = asserted[pin] != wiredLow;
        return electricallyHigh != ((redirection[pin] & POLARITY_LOW) != 0);
    }

    /** Sends what the pin's state calls for: a message on a rising edge, or while a level is up and not in service. */
    private void evaluate(int pin) {
        boolean now = inputActive(pin);
        boolean rising = now && !active[pin];
        active[pin] = now;
        long entry = redirection[pin];
        if (!now || (entry & MASKED) != 0) {
            return;
        }
        var mode = DeliveryMode.of((int) (entry >>> 8));
        if (mode == DeliveryMode.RESERVED || mode == DeliveryMode.STARTUP) {
            return; // 011 and 110 are reserved delivery modes for the I/O APIC
        }
        boolean level = (entry & TRIGGER_LEVEL) != 0 && mode.carriesVector();
        if (level ? (entry & REMOTE_IRR) == 0 : rising) {
            var message = ApicMessage.io((int) (entry >>> 56), (entry & DESTINATION_LOGICAL) != 0, mode,
                    (int) entry & 0xff, level);
            if (bus.deliver(message) > 0 && level) {
                redirection[pin] = entry | REMOTE_IRR; // in service until an EOI for its vector
            }
        }
    }

    @Override
    public synchronized String toString() {
        return "I/O APIC " + id;
    }
}
