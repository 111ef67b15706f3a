package dev.corral.engine.devices.legacy;

import java.util.Objects;

import dev.corral.engine.machine.InterruptController;

/**
 * The PC/AT's two cascaded 8259As: the master at ports 0x20-0x21 takes IRQ 0-7, the slave at 0xa0-0xa1 takes
 * IRQ 8-15 and drives the master's IR2. A device line numbered 2 is IRQ 9, as the AT rewired the XT's IRQ 2 bus
 * pin. This is the interrupt controller of a VM whose vCPUs run in software: devices drive its lines
 * ({@link #setLevel}), and the vCPU loop asks {@link #hasInterrupt} before each run and, when the CPU can take
 * one, runs the INTA cycle with {@link #acknowledge}.
 *
 * <p>A cascaded INTA follows the datasheet: the master puts IR2 in service and the slave answers with its own
 * vector; if the slave's request vanished meanwhile, the slave answers with its IR7 (vector base + 7, "IRQ 15")
 * while the master's IR2 stays in service, so the guest must send the master an EOI for it, as Linux does.
 *
 * <p>Thread-safe: device threads (a UART receiving host input) raise lines while the vCPU thread acknowledges.
 */
public final class I8259Pair implements InterruptController {

    public static final int MASTER_BASE = 0x20;
    public static final int SLAVE_BASE = 0xa0;
    public static final int CASCADE_IRQ = 2;
    public static final int IRQS = 16;

    private final I8259 master = new I8259();
    private final I8259 slave = new I8259();
    private final Runnable wake;

    /**
     * {@code wake} runs whenever a line rising leaves an interrupt pending for the CPU, on the thread that changed
     * the line, possibly with a device's lock held: it must not block (LockSupport.unpark of the vCPU thread).
     */
    public I8259Pair(Runnable wake) {
        this.wake = Objects.requireNonNull(wake, "wake");
    }

    /** The master 8259A, to register at {@link #MASTER_BASE}. */
    public I8259 master() {
        return master;
    }

    /** The slave 8259A, to register at {@link #SLAVE_BASE}. */
    public I8259 slave() {
        return slave;
    }

    @Override
    public synchronized void setLevel(int irq, boolean asserted) {
        if (irq < 0 || irq >= IRQS) {
            throw new IllegalArgumentException("the PC's two 8259As take IRQ 0-15, not " + irq);
        }
        if (irq == CASCADE_IRQ) {
            irq = 9;
        }
        if (irq < 8) {
            master.setInput(irq, asserted);
        } else {
            slave.setInput(irq - 8, asserted);
        }
        cascade();
        if (asserted && master.output()) {
            wake.run();
        }
    }

    /** Whether the master's INT output is up: the CPU would be interrupted if it accepted interrupts. */
    public synchronized boolean hasInterrupt() {
        cascade(); // the guest may have changed a mask or sent an EOI since the last line change
        return master.output();
    }

    /** Runs the INTA cycle and returns the vector the CPU takes (a spurious IR7 vector if nothing is pending). */
    public synchronized int acknowledge() {
        cascade();
        int ir = master.interruptAcknowledge();
        if (ir == I8259.NONE) {
            return master.vectorBase() + 7;
        }
        if (!master.hasSlaveAt(ir)) {
            return master.vectorBase() + ir;
        }
        int slaveIr = slave.interruptAcknowledge();
        int vector = slave.vectorBase() + (slaveIr == I8259.NONE ? 7 : slaveIr);
        cascade();
        return vector;
    }

    /** The slave's INT pin is wired to the master's IR2. */
    private void cascade() {
        master.setInput(CASCADE_IRQ, slave.output());
    }
}
