package dev.corral.engine.devices.apic;

/**
 * What a local APIC gives its processor in the interrupt-acknowledge cycle ({@link LocalApic#acknowledge}).
 */
public sealed interface ApicInterrupt {

    /**
     * Take this vector. Either a fixed interrupt, now moved from the IRR to the ISR (the handler's EOI retires it),
     * or the spurious-interrupt vector when nothing was deliverable any more (no EOI is due for that one).
     */
    record Vector(int vector) implements ApicInterrupt {
    }

    /**
     * An ExtINT: the vector comes from the 8259A PIC, so run the PIC's own acknowledge cycle. Either LINT0 is
     * programmed ExtINT (virtual-wire mode) and the PIC's INTR is up, or the APIC is globally disabled and the PIC is
     * wired straight to the processor, or an IOAPIC pin / MSI sent an ExtINT message.
     */
    record ExtInt() implements ApicInterrupt {
    }
}
