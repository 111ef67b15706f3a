package dev.corral.engine.devices.legacy;

import dev.corral.engine.machine.BytePortIoDevice;

/**
 * One Intel 8259A programmable interrupt controller: eight request inputs IR0-IR7, the interrupt request register
 * (IRR), the in-service register (ISR) and the interrupt mask register (IMR), programmed through two ports (A0 = 0
 * and A0 = 1). A PC has two, cascaded: see {@link I8259Pair}, which also runs the INTA cycle across both.
 *
 * <p>Programming, by the datasheet. ICW1 (A0 = 0, bit 4 set) starts initialisation: IMR, IRR and ISR are cleared,
 * IR7 gets the lowest priority, special mask mode is cleared and reads return IRR; then ICW2 (vector base, bits
 * 7-3), ICW3 (cascade wiring, unless ICW1 said single) and ICW4 (if ICW1 asked for it: automatic EOI) follow on
 * A0 = 1. After that, A0 = 1 writes are OCW1 (the IMR); A0 = 0 writes with bits 4-3 = 00 are OCW2 (EOI and
 * priority rotation commands) and with bits 4-3 = 01 are OCW3 (read IRR or ISR, poll, special mask mode).
 *
 * <p>Inputs are edge triggered (a request is latched in IRR on a low-to-high transition and stays until
 * acknowledged, as on a PC) unless ICW1 chose level triggering (LTIM) for all of them, or the chipset's ELCR for
 * some ({@link I8259Pair}): a level-sensitive input's IRR bit follows the input. Priority is
 * fixed (IR0 highest) until the guest rotates it. An in-service request blocks those of equal or lower priority;
 * in special mask mode only unmasked in-service requests do. Not emulated: the 8080/8085 call format (a PC runs
 * 8086 mode), buffered mode and the special fully nested mode (Linux uses neither).
 */
public final class I8259 implements BytePortIoDevice {

    public static final int LENGTH = 2;
    // Port offsets (the A0 address line).
    static final int COMMAND = 0, DATA = 1;

    static final int ICW1 = 0x10, ICW1_IC4 = 0x01, ICW1_SINGLE = 0x02, ICW1_LTIM = 0x08;
    static final int ICW4_AEOI = 0x02;
    static final int OCW3 = 0x08, OCW_SELECT = 0x18;
    static final int OCW3_READ_ISR = 0x01, OCW3_READ_REGISTER = 0x02, OCW3_POLL = 0x04;
    static final int OCW3_SPECIAL_MASK = 0x20, OCW3_SET_SPECIAL_MASK = 0x40;
    // OCW2 commands, bits 7-5 (R, SL, EOI).
    static final int ROTATE_AEOI_CLEAR = 0, NON_SPECIFIC_EOI = 1, NO_OPERATION = 2, SPECIFIC_EOI = 3;
    static final int ROTATE_AEOI_SET = 4, ROTATE_NON_SPECIFIC_EOI = 5, SET_PRIORITY = 6, ROTATE_SPECIFIC_EOI = 7;
    static final int POLL_INTERRUPT = 0x80;

    /** No request pending: {@link #interruptAcknowledge} then answers with a spurious IR7. */
    static final int NONE = -1;

    private int irr;
    private int isr;
    private int imr;
    private int inputs;            // the current level of each IR input, for edge detection
    private int vectorBase;
    private int cascade;           // ICW3: on the master, which inputs have a slave; on a slave, its id
    private int initStep;          // 0 when initialised, else the ICW (2, 3 or 4) expected next on A0 = 1
    private boolean single, needIcw4, levelTriggered, autoEoi, rotateOnAutoEoi, specialMask, readIsr, poll;
    private int lowestPriority = 7;
    private int elcr;              // inputs the chipset's edge/level control register makes level-sensitive

    /** Drives input {@code ir} (0-7) to {@code level}. */
    synchronized void setInput(int ir, boolean level) {
        int bit = 1 << ir;
        boolean was = (inputs & bit) != 0;
        inputs = level ? inputs | bit : inputs & ~bit;
        if ((levelSensitive() & bit) != 0) {
            irr = level ? irr | bit : irr & ~bit;
        } else if (level && !was) {
            irr |= bit;
        }
    }

    /**
     * The ELCR bits for this chip's inputs: those set are level-sensitive from now on (a request follows the input,
     * so one already high is requested at once); those cleared go back to edge sensing, keeping what IRR holds.
     */
    synchronized void setElcr(int inputsLevel) {
        int newlyLevel = inputsLevel & ~elcr & 0xff;
        elcr = inputsLevel & 0xff;
        irr = (irr & ~newlyLevel) | (inputs & newlyLevel);
    }

    /** The inputs whose requests follow the line: all of them in LTIM mode, else the ELCR's. */
    private int levelSensitive() {
        return levelTriggered ? 0xff : elcr;
    }

    /** The INT output: an unmasked request of higher priority than anything in service. */
    synchronized boolean output() {
        return pending() != NONE;
    }

    /**
     * The INTA cycle: returns the input being acknowledged and moves it from IRR to ISR (not in automatic-EOI
     * mode), or {@link #NONE} when the request went away before the CPU answered (the CPU then gets IR7's vector
     * and nothing is in service: a spurious interrupt).
     */
    synchronized int interruptAcknowledge() {
        int ir = pending();
        if (ir == NONE) {
            return NONE;
        }
        int bit = 1 << ir;
        if ((levelSensitive() & bit) == 0) {
            irr &= ~bit;
        }
        if (autoEoi) {
            if (rotateOnAutoEoi) {
                lowestPriority = ir;
            }
        } else {
            isr |= bit;
        }
        return ir;
    }

    synchronized int vectorBase() {
        return vectorBase;
    }

    /** On the master: whether a slave is wired to input {@code ir} (ICW3). */
    synchronized boolean hasSlaveAt(int ir) {
        return !single && (cascade & 1 << ir) != 0;
    }

    synchronized int irr() {
        return irr;
    }

    synchronized int isr() {
        return isr;
    }

    synchronized int imr() {
        return imr;
    }

    @Override
    public synchronized int readByte(int offset) {
        if (offset == DATA) {
            return imr;
        }
        if (poll) {
            // A poll read is the INTA cycle done by software: it answers the highest request and puts it in service.
            poll = false;
            int ir = interruptAcknowledge();
            return ir == NONE ? 0 : POLL_INTERRUPT | ir;
        }
        return readIsr ? isr : irr;
    }

    @Override
    public synchronized void writeByte(int offset, int value) {
        if (offset == COMMAND) {
            if ((value & ICW1) != 0) {
                icw1(value);
            } else if ((value & OCW_SELECT) == OCW3) {
                ocw3(value);
            } else if ((value & OCW_SELECT) == 0) {
                ocw2(value);
            }
            // Bits 4-3 = 11 are not a command on the 8259A; ignored.
            return;
        }
        switch (initStep) {
            case 2 -> {
                vectorBase = value & 0xf8;
                initStep = !single ? 3 : needIcw4 ? 4 : 0;
            }
            case 3 -> {
                cascade = value;
                initStep = needIcw4 ? 4 : 0;
            }
            case 4 -> {
                autoEoi = (value & ICW4_AEOI) != 0;
                initStep = 0;
            }
            default -> imr = value; // OCW1
        }
    }

    private void icw1(int value) {
        single = (value & ICW1_SINGLE) != 0;
        needIcw4 = (value & ICW1_IC4) != 0;
        levelTriggered = (value & ICW1_LTIM) != 0;
        // Edge sense reset: an input already high must go low and high again to request, unless level-sensitive.
        irr = inputs & levelSensitive();
        isr = 0;
        imr = 0;
        autoEoi = false;
        rotateOnAutoEoi = false;
        specialMask = false;
        readIsr = false;
        poll = false;
        lowestPriority = 7;
        initStep = 2;
    }

    private void ocw2(int value) {
        int level = value & 7;
        switch (value >>> 5) {
            case NON_SPECIFIC_EOI -> endOfInterrupt(highest(isr), false);
            case SPECIFIC_EOI -> endOfInterrupt(level, false);
            case ROTATE_NON_SPECIFIC_EOI -> endOfInterrupt(highest(isr), true);
            case ROTATE_SPECIFIC_EOI -> endOfInterrupt(level, true);
            case SET_PRIORITY -> lowestPriority = level;
            case ROTATE_AEOI_SET -> rotateOnAutoEoi = true;
            case ROTATE_AEOI_CLEAR -> rotateOnAutoEoi = false;
            default -> { } // NO_OPERATION
        }
    }

    private void endOfInterrupt(int ir, boolean rotate) {
        if (ir == NONE) {
            return; // a non-specific EOI with nothing in service changes nothing
        }
        isr &= ~(1 << ir);
        if (rotate) {
            lowestPriority = ir;
        }
    }

    private void ocw3(int value) {
        if ((value & OCW3_SET_SPECIAL_MASK) != 0) {
            specialMask = (value & OCW3_SPECIAL_MASK) != 0;
        }
        if ((value & OCW3_READ_REGISTER) != 0) {
            readIsr = (value & OCW3_READ_ISR) != 0;
        }
        poll = (value & OCW3_POLL) != 0;
    }

    /** The input the chip would interrupt for now, or {@link #NONE}. */
    private int pending() {
        int request = highest(irr & ~imr);
        if (request == NONE) {
            return NONE;
        }
        int inService = highest(specialMask ? isr & ~imr : isr);
        if (inService != NONE && rank(inService) <= rank(request)) {
            return NONE;
        }
        return request;
    }

    /** The highest-priority input set in {@code mask}, or {@link #NONE}. */
    private int highest(int mask) {
        for (int i = 1; i <= 8; i++) {
            int ir = (lowestPriority + i) & 7;
            if ((mask & 1 << ir) != 0) {
                return ir;
            }
        }
        return NONE;
    }

    /** 0 for the highest priority, 7 for the lowest. */
    private int rank(int ir) {
        return (ir - lowestPriority - 1) & 7;
    }
}
