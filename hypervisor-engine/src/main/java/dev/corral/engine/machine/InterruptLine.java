package dev.corral.engine.machine;

/**
 * One numbered interrupt line as a device sees it. The device says what level its interrupt output has; the
 * line forwards only changes, so an edge-triggered controller (the ISA PIC) sees exactly one rising edge per
 * new interrupt and the host makes no redundant irqchip calls. One device drives one line.
 */
public final class InterruptLine {

    private final InterruptController controller;
    private final int irq;
    private boolean asserted;

    public InterruptLine(InterruptController controller, int irq) {
        if (irq < 0) {
            throw new IllegalArgumentException("an interrupt line has a number of 0 or more, not " + irq);
        }
        this.controller = java.util.Objects.requireNonNull(controller, "controller");
        this.irq = irq;
    }

    public synchronized void set(boolean level) {
        if (level != asserted) {
            asserted = level;
            controller.setLevel(irq, level);
        }
    }

    public void raise() {
        set(true);
    }

    public void lower() {
        set(false);
    }

    public synchronized boolean isAsserted() {
        return asserted;
    }

    public int irq() {
        return irq;
    }
}
