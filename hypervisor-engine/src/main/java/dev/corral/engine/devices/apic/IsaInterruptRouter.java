package dev.corral.engine.devices.apic;

import java.util.Objects;

import dev.corral.engine.machine.InterruptController;

/**
 * The PC chipset's interrupt wiring when a machine has both the 8259A pair and an I/O APIC: every ISA interrupt
 * line goes to both, so the legacy PICs serve a guest until it switches to the I/O APIC (and masks the PICs).
 * ISA IRQ n drives PIC input n and I/O APIC pin n, except IRQ 0, the 8254's, which reaches pin 2 (every PC's
 * MADT describes this with an interrupt source override); I/O APIC pin 0 is left unconnected. Lines 16-23 (PCI
 * INTx, later) exist only on the I/O APIC. IRQ 2 is the PICs' cascade and no device may drive it.
 *
 * <p>Hand this to the devices' {@link dev.corral.engine.machine.InterruptLine}s. Thread-safe as the two
 * controllers are; it holds no lock of its own.
 */
public final class IsaInterruptRouter implements InterruptController {

    public static final int ISA_IRQS = 16;
    public static final int PIT_IRQ = 0, PIT_PIN = 2, CASCADE_IRQ = 2;

    private final InterruptController pic;
    private final IoApic ioApic;

    public IsaInterruptRouter(InterruptController pic, IoApic ioApic) {
        this.pic = Objects.requireNonNull(pic, "pic");
        this.ioApic = Objects.requireNonNull(ioApic, "ioApic");
    }

    /** The I/O APIC pin (GSI) of ISA IRQ {@code irq}, or of GSI {@code irq} for lines past the ISA ones. */
    public static int ioApicPin(int irq) {
        return irq == PIT_IRQ ? PIT_PIN : irq;
    }

    @Override
    public void setLevel(int irq, boolean asserted) {
        if (irq == CASCADE_IRQ || irq < 0 || irq >= IoApic.PINS) {
            throw new IllegalArgumentException("interrupt lines are 0, 1 and 3-" + (IoApic.PINS - 1) + ", not " + irq);
        }
        if (irq < ISA_IRQS) {
            pic.setLevel(irq, asserted);
        }
        ioApic.setLevel(ioApicPin(irq), asserted);
    }
}
