package dev.corral.engine.devices.legacy;

import java.util.Objects;

import dev.corral.engine.machine.BytePortIoDevice;
import dev.corral.engine.machine.InterruptLine;

/**
 * A National Semiconductor 16550A UART, as Linux's 8250 driver and a minimal guest drive it: eight byte
 * registers, DLAB-switched divisor latch, 16-byte receive FIFO, loopback, four prioritised interrupt causes.
 *
 * <p>Transmission is instantaneous: a byte written to THR reaches the {@link ConsoleSink} during the write,
 * so THR and the transmitter are always empty (LSR THRE and TEMT always set) and there is no baud timing.
 * Input arrives two ways. {@link #sendInput} is the host console's: it waits in a bounded queue on the host's end of
 * the line ({@link SerialInput}) and moves into the receive FIFO whenever the guest asserts RTS and its reads make
 * room, as a sender under RTS/CTS flow control would, so a paste arrives whole and in order. {@link #enqueueInput} is a
 * bare wire: what does not fit in the FIFO is an overrun (LSR.OE).
 *
 * <p>Deliberate differences from the chip, each because a guest cannot tell or relies on it:
 * <ul>
 * <li>The character-timeout interrupt (IIR 0xc) is reported at once when the FIFO holds fewer bytes than the
 *     trigger level, instead of after four character times: there is no clock here, and the driver handles
 *     both causes by draining the FIFO.</li>
 * <li>MCR OUT2 does not gate the interrupt output (it does on a PC board): early consoles poll with OUT2 clear,
 *     and QEMU and Firecracker do not gate either.</li>
 * <li>Parity, framing and break errors never happen; LSR bit 7 stays clear.</li>
 * </ul>
 *
 * <p>Thread-safe: the vCPU thread accesses registers while a host thread enqueues input.
 */
public final class Uart16550 implements BytePortIoDevice {

    /** The first PC serial port, COM1: eight ports from 0x3f8, ISA IRQ 4. */
    public static final int COM1_BASE = 0x3f8;
    public static final int COM1_IRQ = 4;
    public static final int REGISTER_COUNT = 8;
    public static final int FIFO_SIZE = 16;
    /** How many bytes of host console input may wait for the guest to read them; more are dropped. */
    public static final int HOST_INPUT_CAPACITY = 64 * 1024;

    // Register offsets. Offsets 0 and 1 are the divisor latch while LCR.DLAB is set.
    static final int RBR = 0, THR = 0, DLL = 0;
    static final int IER = 1, DLM = 1;
    static final int IIR = 2, FCR = 2;
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08;

    static final int IIR_NONE = 0x01, IIR_MS = 0x00, IIR_THRE = 0x02, IIR_RDA = 0x04, IIR_RLS = 0x06;
    static final int IIR_TIMEOUT = 0x0c, IIR_FIFO_ENABLED = 0xc0;

    static final int FCR_ENABLE = 0x01, FCR_CLEAR_RX = 0x02;
    private static final int[] TRIGGER_LEVELS = {1, 4, 8, 14};

    static final int LCR_DLAB = 0x80;

    static final int MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;

    static final int LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40;

    static final int MSR_DCTS = 0x01, MSR_DDSR = 0x02, MSR_TERI = 0x04, MSR_DDCD = 0x08;
    static final int MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;

    private final InterruptLine irq;
    private final ConsoleSink sink;
    private final SerialInput hostInput;

    private final byte[] rxFifo = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int rbr;
    private boolean overrun;
    private boolean fifoEnabled;
    private int triggerLevel = 1;
    private boolean threPending;
    private int ier;
    private int lcr;
    private int mcr;
    private int msrDeltas;
    private int scr;
    private int dll = 0x0c; // 9600 baud, what a PC BIOS leaves behind
    private int dlm;

    public Uart16550(InterruptLine irq, ConsoleSink sink) {
        this(irq, sink, HOST_INPUT_CAPACITY);
    }

    /** A UART whose host console input queue holds {@code hostInputCapacity} bytes. */
    public Uart16550(InterruptLine irq, ConsoleSink sink, int hostInputCapacity) {
        this.irq = Objects.requireNonNull(irq, "irq");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.hostInput = new SerialInput(hostInputCapacity);
    }

    @Override
    public synchronized int readByte(int offset) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (offset) {
            case RBR -> dlab ? dll : receive();
            case IER -> dlab ? dlm : ier;
            case IIR -> identify();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> lineStatus();
            case MSR -> modemStatus();
            case SCR -> scr;
            default -> 0xff;
        };
    }

    @Override
    public synchronized void writeByte(int offset, int value) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (offset) {
            case THR -> {
                if (dlab) {
                    dll = value;
                } else {
                    transmit(value);
                }
            }
            case IER -> {
                if (dlab) {
                    dlm = value;
                } else {
                    enableInterrupts(value & 0x0f);
                }
            }
            case FCR -> controlFifo(value);
            case LCR -> lcr = value;
            case MCR -> controlModem(value & 0x1f);
            case SCR -> scr = value;
            default -> { } // LSR and MSR are read-only: writes are ignored, as the chip ignores them.
        }
    }

    /**
     * Host input for the guest to read. Accepts what fits in the receive FIFO (16 bytes with FIFOs on, 1 without)
     * and returns how many bytes that was; the rest is an overrun (LSR.OE), as when a sender outruns the reader.
     * A feeder that must not lose input sends at most {@link #inputSpace()} bytes. In loopback mode the serial
     * input is disconnected: nothing is accepted and nothing overruns.
     */
    public synchronized int enqueueInput(byte[] bytes) {
        if ((mcr & MCR_LOOP) != 0) {
            return 0;
        }
        int accepted = 0;
        for (byte b : bytes) {
            if (!push(b)) {
                break;
            }
            accepted++;
        }
        updateInterrupt();
        return accepted;
    }

    /** How many bytes {@link #enqueueInput} would accept now. */
    public synchronized int inputSpace() {
        return (mcr & MCR_LOOP) != 0 ? 0 : rxCapacity() - rxCount;
    }

    /**
     * Host console input (keystrokes, a paste, a test's command): queued on the host's end of the line and moved
     * into the receive FIFO as the guest reads, with the interrupts a 16550 raises for data arriving at that pace.
     * Returns how many bytes were queued, in order; the rest are dropped, which happens only when
     * {@link #HOST_INPUT_CAPACITY} bytes already wait (a guest that does not read its console). Input moves only
     * while the guest asserts MCR.RTS (Linux does from when a program opens the port until it hangs up) and not in
     * loopback, where the line is disconnected; until then it waits. Do not mix with {@link #enqueueInput}, which
     * would put its bytes ahead of those still queued.
     */
    public synchronized int sendInput(byte[] bytes) {
        int direct = 0;
        // Straight into the receiver while it has room and nothing waits ahead of them: the bound counts only bytes
        // that wait, never those the receiver holds.
        while (direct < bytes.length && hostInput.queued() == 0 && lineOpen() && rxCount < rxCapacity()) {
            push(bytes[direct++]);
        }
        int accepted = direct + hostInput.offer(bytes, direct, bytes.length - direct);
        updateInterrupt();
        return accepted;
    }

    /** Host console input waiting for room in the receive FIFO. */
    public synchronized int hostInputQueued() {
        return hostInput.queued();
    }

    /** Host console input dropped because {@link #HOST_INPUT_CAPACITY} bytes were already waiting. */
    public synchronized long hostInputDropped() {
        return hostInput.dropped();
    }

    private int receive() {
        if (rxCount > 0) {
            rbr = rxFifo[rxHead] & 0xff;
            rxHead = (rxHead + 1) % FIFO_SIZE;
            rxCount--;
            refill(); // the host's next byte moves up as soon as there is room: the FIFO stays as full as it can be
            updateInterrupt();
        }
        return rbr; // an empty RBR still holds the last byte received
    }

    private void transmit(int value) {
        // Writing THR clears a pending THRE interrupt; the byte leaves at once, THR is empty again and the
        // interrupt comes back. Updating the line in between gives an edge-triggered PIC a fresh edge.
        threPending = false;
        updateInterrupt();
        if ((mcr & MCR_LOOP) != 0) {
            push((byte) value);
        } else {
            sink.write((byte) value);
        }
        threPending = true;
        updateInterrupt();
    }

    private void enableInterrupts(int value) {
        boolean threWasEnabled = (ier & IER_THRE) != 0;
        ier = value;
        // THR is always empty, so enabling the THRE interrupt raises it. Linux relies on this: it starts
        // transmitting by setting IER.THRE and waits for the interrupt, and at startup it toggles IER to check
        // that the chip re-raises THRE (or it marks the port as buggy). Only the rising edge re-raises, so
        // enabling another interrupt does not cause a spurious THRE.
        if ((value & IER_THRE) == 0) {
            threPending = false;
        } else if (!threWasEnabled) {
            threPending = true;
        }
        updateInterrupt();
    }

    private int identify() {
        int cause = pendingCause();
        if (cause == IIR_THRE) {
            threPending = false; // reading IIR acknowledges THRE only when THRE is what it reports
            updateInterrupt();
        }
        return cause | (fifoEnabled ? IIR_FIFO_ENABLED : 0);
    }

    private void controlFifo(int value) {
        boolean enable = (value & FCR_ENABLE) != 0;
        if (enable != fifoEnabled) {
            fifoEnabled = enable;
            clearReceiver(); // switching FIFO mode on or off empties the FIFOs
        }
        if (enable) {
            // The other bits are only programmed while the enable bit is written as 1. The transmit FIFO is
            // always empty, so its reset bit has nothing to do.
            if ((value & FCR_CLEAR_RX) != 0) {
                clearReceiver();
            }
            triggerLevel = TRIGGER_LEVELS[(value >>> 6) & 3];
        }
        refill(); // an emptied or newly enabled FIFO has room for queued host input
        updateInterrupt();
    }

    private int lineStatus() {
        int lsr = LSR_THRE | LSR_TEMT | (rxCount > 0 ? LSR_DR : 0) | (overrun ? LSR_OE : 0);
        overrun = false; // reading LSR clears the error bits and the line status interrupt
        updateInterrupt();
        return lsr;
    }

    private int modemStatus() {
        int msr = modemLines(mcr) | msrDeltas;
        msrDeltas = 0; // reading MSR clears the delta bits and the modem status interrupt
        updateInterrupt();
        return msr;
    }

    private void controlModem(int value) {
        int before = modemLines(mcr);
        mcr = value;
        int after = modemLines(mcr);
        int changed = before ^ after;
        if ((changed & MSR_CTS) != 0) {
            msrDeltas |= MSR_DCTS;
        }
        if ((changed & MSR_DSR) != 0) {
            msrDeltas |= MSR_DDSR;
        }
        if ((before & MSR_RI) != 0 && (after & MSR_RI) == 0) {
            msrDeltas |= MSR_TERI; // trailing edge only
        }
        if ((changed & MSR_DCD) != 0) {
            msrDeltas |= MSR_DDCD;
        }
        refill(); // leaving loopback reconnects the line
        updateInterrupt();
    }

    /**
     * The modem inputs. In loopback the outputs are wired to them (RTS to CTS, DTR to DSR, OUT1 to RI, OUT2 to
     * DCD), which is what Linux's probe checks; otherwise a modem is always there and ready.
     */
    private static int modemLines(int mcr) {
        if ((mcr & MCR_LOOP) == 0) {
            return MSR_CTS | MSR_DSR | MSR_DCD;
        }
        return ((mcr & MCR_RTS) != 0 ? MSR_CTS : 0)
                | ((mcr & MCR_DTR) != 0 ? MSR_DSR : 0)
                | ((mcr & MCR_OUT1) != 0 ? MSR_RI : 0)
                | ((mcr & MCR_OUT2) != 0 ? MSR_DCD : 0);
    }

    /** The highest-priority interrupt pending and enabled: line status, received data, THR empty, modem status. */
    private int pendingCause() {
        if ((ier & IER_RLS) != 0 && overrun) {
            return IIR_RLS;
        }
        if ((ier & IER_RDA) != 0 && rxCount > 0) {
            return fifoEnabled && rxCount < triggerLevel ? IIR_TIMEOUT : IIR_RDA;
        }
        if ((ier & IER_THRE) != 0 && threPending) {
            return IIR_THRE;
        }
        if ((ier & IER_MS) != 0 && msrDeltas != 0) {
            return IIR_MS;
        }
        return IIR_NONE;
    }

    private void updateInterrupt() {
        irq.set(pendingCause() != IIR_NONE);
    }

    private boolean push(byte b) {
        if (rxCount == rxCapacity()) {
            overrun = true; // the new byte is lost; the FIFO keeps what it had
            return false;
        }
        rxFifo[(rxHead + rxCount) % FIFO_SIZE] = b;
        rxCount++;
        return true;
    }

    /**
     * Moves queued host input into the receiver while it has room and the guest asserts RTS, as a sender under
     * hardware flow control would. Linux raises RTS when a program opens the port, after its driver has cleared the
     * FIFO and drained the receiver, so what was typed before then arrives once someone reads, instead of being
     * discarded by the driver's start-up.
     */
    private void refill() {
        if (!lineOpen()) {
            return;
        }
        while (rxCount < rxCapacity()) {
            int b = hostInput.poll();
            if (b < 0) {
                return;
            }
            push((byte) b);
        }
    }

    /** Whether host input may move into the receiver: the guest asserts RTS and the line is not looped back. */
    private boolean lineOpen() {
        return (mcr & (MCR_LOOP | MCR_RTS)) == MCR_RTS;
    }

    private int rxCapacity() {
        return fifoEnabled ? FIFO_SIZE : 1;
    }

    private void clearReceiver() {
        rxHead = 0;
        rxCount = 0;
    }
}
