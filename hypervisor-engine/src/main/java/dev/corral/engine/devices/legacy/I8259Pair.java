package dev.corral.engine.devices.legacy;

import java.util.Objects;

import dev.corral.engine.machine.BytePortIoDevice;
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
 * <p>The edge/level control register (ELCR, ports 0x4d0 for IRQ 0-7 and 0x4d1 for IRQ 8-15, one bit per IRQ, as
 * on every PC chipset since the PIIX; Intel 82371AB datasheet, ELCR1/ELCR2) makes an input level-sensitive: its
 * request follows the line instead of latching a rising edge. A PCI interrupt needs that: it stays asserted until
 * its driver acknowledges the device, and on an edge-triggered input a line that never drops (two functions sharing
 * it, one asserting while the other is served) raises no new edge, so the interrupt would be lost. Linux sets the
 * bit of each PCI interrupt it routes through ACPI; IRQ 0, 1, 2, 8 and 13 are always edge-triggered (their bits are
 * reserved and read zero). The SCI's IRQ is level-triggered too: the machine's firmware sets it ({@link #setElcr}).
 *
 * <p>Thread-safe: device threads (a UART receiving host input) raise lines while the vCPU thread acknowledges.
 */
public final class I8259Pair implements InterruptController {

    public static final int MASTER_BASE = 0x20;
    public static final int SLAVE_BASE = 0xa0;
    public static final int CASCADE_IRQ = 2;
    public static final int IRQS = 16;
    public static final int ELCR_BASE = 0x4d0, ELCR_LENGTH = 2;
    /** The ELCR bits that exist: not IRQ 0 (timer), 1 (keyboard), 2 (cascade), 8 (RTC) or 13 (FPU error). */
    static final int ELCR_WRITABLE = 0xdef8;

    private final I8259 master = new I8259();
    private final I8259 slave = new I8259();
    private final Runnable wake;
    private int elcr;

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

    /** The ELCR, to register at {@link #ELCR_BASE}: byte 0 holds IRQ 0-7, byte 1 IRQ 8-15. */
    public BytePortIoDevice elcrPorts() {
        return new BytePortIoDevice() {
            @Override
            public int readByte(int offset) {
                return (elcr() >>> (8 * offset)) & 0xff;
            }

            @Override
            public void writeByte(int offset, int value) {
                synchronized (I8259Pair.this) {
                    int shift = 8 * offset;
                    setElcr((elcr & ~(0xff << shift)) | (value & 0xff) << shift);
                }
            }
        };
    }

    /** The ELCR, a bit per IRQ. */
    public synchronized int elcr() {
        return elcr;
    }

    /**
     * Sets the ELCR (firmware's job before the OS runs; a guest writes ports 0x4d0-0x4d1): IRQs with their bit set
     * are level-triggered. Reserved bits are ignored.
     */
    public synchronized void setElcr(int levelIrqs) {
        elcr = levelIrqs & ELCR_WRITABLE;
        master.setElcr(elcr);
        slave.setElcr(elcr >>> 8);
        cascade();
        if (master.output()) {
            wake.run(); // a level-triggered line already high is a request now
        }
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
