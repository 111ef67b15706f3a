package dev.corral.engine.machine;

/**
 * Where device interrupts go: the machine wires this to KVM's in-kernel irqchip (KVM_IRQ_LINE) or to the
 * software CPU's interrupt controller. Called from whichever thread changed the device's state, possibly while
 * the device holds its lock: it must not block and must not call back into the device.
 */
@FunctionalInterface
public interface InterruptController {

    /** Drives the numbered line (an ISA IRQ / GSI) high or low. */
    void setLevel(int irq, boolean asserted);
}
