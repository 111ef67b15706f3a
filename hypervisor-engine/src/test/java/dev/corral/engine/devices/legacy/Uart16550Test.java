package dev.corral.engine.devices.legacy;

import static dev.corral.engine.devices.legacy.Uart16550.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Uart16550Test {

    private RecordingInterruptController pic;
    private ConsoleBuffer console;
    private Uart16550 uart;

    @BeforeEach
    void setUp() {
        pic = new RecordingInterruptController();
        console = ConsoleBuffer.of(1024);
        uart = new Uart16550(new InterruptLine(pic, COM1_IRQ), console);
    }

    private int in(int offset) {
        return uart.readByte(offset);
    }

    private void out(int offset, int value) {
        uart.writeByte(offset, value);
    }

    private String consoleText() {
        return new String(console.readFrom(0).bytes(), US_ASCII);
    }

    private boolean irqHigh() {
        return pic.isHigh(COM1_IRQ);
    }

    @Test
    void aStringWrittenToThrThroughTheBusReachesTheConsole() {
        var bus = new PortIoBus();
        bus.register(COM1_BASE, REGISTER_COUNT, "com1", uart);

        for (byte b : "Hello, Corral\n".getBytes(US_ASCII)) {
            while ((bus.read(COM1_BASE + LSR, 1) & LSR_THRE) == 0) {
                Thread.onSpinWait(); // what a polling guest does; never spins here
            }
            bus.write(COM1_BASE + THR, 1, b);
        }

        assertThat(consoleText()).isEqualTo("Hello, Corral\n");
        assertThat(bus.read(COM1_BASE + LSR, 1)).isEqualTo(LSR_THRE | LSR_TEMT);
        assertThat(bus.counters().totalFaults()).isZero();
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisorLatch() {
        out(IER, IER_RDA);
        out(LCR, LCR_DLAB | 0x03); // 8N1, divisor latch visible
        out(DLL, 0x01);            // 115200 baud
        out(DLM, 0x00);
        assertThat(in(DLL)).isEqualTo(0x01);
        assertThat(in(DLM)).isZero();
        assertThat(consoleText()).isEmpty();

        out(LCR, 0x03);
        assertThat(in(IER)).isEqualTo(IER_RDA);
        out(THR, 'x');
        assertThat(consoleText()).isEqualTo("x");
        assertThat(in(LCR)).isEqualTo(0x03);
    }

    @Test
    void loopbackEchoesTransmittedBytesIntoTheReceiverAndNotToTheConsole() {
        out(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS); // what Linux's probe writes
        assertThat(in(MSR) & 0xf0).isEqualTo(MSR_DCD | MSR_CTS); // and what it expects back

        out(THR, 'L');
        assertThat(in(LSR) & LSR_DR).isEqualTo(LSR_DR);
        assertThat(in(RBR)).isEqualTo('L');
        assertThat(in(LSR) & LSR_DR).isZero();
        assertThat(consoleText()).isEmpty();

        // The serial input is disconnected in loopback: host input waits.
        assertThat(uart.enqueueInput(new byte[] {'h'})).isZero();
        assertThat(uart.inputSpace()).isZero();
    }

    @Test
    void receivedDataRaisesTheInterruptUntilTheGuestHasReadIt() {
        out(FCR, FCR_ENABLE); // trigger level 1
        out(IER, IER_RDA);
        assertThat(irqHigh()).isFalse();

        assertThat(uart.enqueueInput("ok".getBytes(US_ASCII))).isEqualTo(2);
        assertThat(irqHigh()).isTrue();
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_RDA);
        assertThat(in(LSR) & LSR_DR).isEqualTo(LSR_DR);

        assertThat(in(RBR)).isEqualTo('o');
        assertThat(irqHigh()).isTrue();
        assertThat(in(RBR)).isEqualTo('k');
        assertThat(irqHigh()).isFalse();
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_NONE);
        assertThat(in(LSR) & LSR_DR).isZero();
        assertThat(pic.changes()).containsExactly("irq4 high", "irq4 low");
    }

    @Test
    void belowTheTriggerLevelDataIsReportedAsCharacterTimeout() {
        out(FCR, FCR_ENABLE | 0xc0); // trigger at 14 bytes
        out(IER, IER_RDA);
        uart.enqueueInput(new byte[3]);
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_TIMEOUT);
        uart.enqueueInput(new byte[11]);
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_RDA);
    }

    @Test
    void enablingTheThreInterruptRaisesItAndReadingIirAcknowledgesIt() {
        out(IER, IER_THRE);
        assertThat(irqHigh()).isTrue();
        assertThat(in(IIR)).isEqualTo(IIR_THRE);
        assertThat(irqHigh()).isFalse();
        assertThat(in(IIR)).isEqualTo(IIR_NONE);

        // Enabling another interrupt does not bring THRE back; toggling THRE does.
        out(IER, IER_THRE | IER_RDA);
        assertThat(irqHigh()).isFalse();
        out(IER, 0);
        out(IER, IER_THRE);
        assertThat(in(IIR)).isEqualTo(IIR_THRE);
    }

    @Test
    void linuxStartupCheckFindsThreReassertedSoThePortIsNotMarkedBuggy() {
        // serial8250_startup: IER=THRI, read IIR, IER=0, IER=THRI, read IIR; NO_INT the second time means a bug.
        out(IER, IER_THRE);
        int first = in(IIR);
        out(IER, 0);
        out(IER, IER_THRE);
        int second = in(IIR);
        out(IER, 0);

        assertThat(first & IIR_NONE).isZero();
        assertThat(second & IIR_NONE).isZero();
        assertThat(irqHigh()).isFalse();
    }

    @Test
    void writingThrClearsThreAndTheEmptiedThrRaisesItAgainWithAFreshEdge() {
        out(IER, IER_THRE);
        in(IIR);
        pic.clear();

        out(THR, 'a');

        assertThat(pic.changes()).containsExactly("irq4 high");
        out(THR, 'b'); // pending and unacknowledged: the write drops the line, the empty THR raises it again
        assertThat(pic.changes()).containsExactly("irq4 high", "irq4 low", "irq4 high");
        assertThat(consoleText()).isEqualTo("ab");
    }

    @Test
    void readingIirWhileReceivedDataOutranksThreLeavesThrePending() {
        out(FCR, FCR_ENABLE);
        out(IER, IER_RDA | IER_THRE);
        uart.enqueueInput(new byte[] {'x'});

        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_RDA);
        in(RBR);
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_THRE);
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_NONE);
    }

    @Test
    void inputBeyondTheFifoOverrunsSetsOeAndRaisesTheLineStatusInterrupt() {
        out(FCR, FCR_ENABLE);
        out(IER, IER_RLS);

        assertThat(uart.enqueueInput(new byte[20])).isEqualTo(FIFO_SIZE);

        assertThat(irqHigh()).isTrue();
        assertThat(in(IIR)).isEqualTo(IIR_FIFO_ENABLED | IIR_RLS);
        assertThat(in(LSR) & (LSR_OE | LSR_DR)).isEqualTo(LSR_OE | LSR_DR);
        assertThat(in(LSR) & LSR_OE).isZero(); // reading LSR cleared it
        assertThat(irqHigh()).isFalse();
        assertThat(uart.inputSpace()).isZero();
    }

    @Test
    void withoutFifosTheReceiverHoldsOneByte() {
        assertThat(uart.inputSpace()).isEqualTo(1);
        assertThat(uart.enqueueInput("ab".getBytes(US_ASCII))).isEqualTo(1);
        assertThat(in(LSR) & LSR_OE).isEqualTo(LSR_OE);
        assertThat(in(RBR)).isEqualTo('a');
        assertThat(in(RBR)).isEqualTo('a'); // an empty RBR keeps the last byte
        assertThat(uart.inputSpace()).isEqualTo(1);
    }

    @Test
    void iirReportsFifoModeAndFcrResetsTheReceiveFifo() {
        assertThat(in(IIR)).isEqualTo(IIR_NONE);
        out(FCR, FCR_ENABLE);
        assertThat(in(IIR)).isEqualTo(0xc1); // 16550A: Linux's autoconfig looks for both FIFO bits

        uart.enqueueInput(new byte[] {1, 2, 3});
        out(FCR, FCR_ENABLE | FCR_CLEAR_RX);
        assertThat(in(LSR) & LSR_DR).isZero();
        assertThat(uart.inputSpace()).isEqualTo(FIFO_SIZE);

        uart.enqueueInput(new byte[] {1});
        out(FCR, 0); // leaving FIFO mode empties the FIFO too
        assertThat(in(IIR)).isEqualTo(IIR_NONE);
        assertThat(in(LSR) & LSR_DR).isZero();
    }

    @Test
    void modemControlChangesInLoopbackRaiseTheModemStatusInterrupt() {
        out(MCR, MCR_LOOP);
        in(MSR); // entering loopback changed CTS, DSR and DCD
        out(IER, IER_MS);
        assertThat(irqHigh()).isFalse();

        out(MCR, MCR_LOOP | MCR_DTR | MCR_OUT1);
        assertThat(in(IIR)).isEqualTo(IIR_MS);
        assertThat(in(MSR)).isEqualTo(MSR_DSR | MSR_RI | MSR_DDSR);
        assertThat(irqHigh()).isFalse();

        out(MCR, MCR_LOOP | MCR_DTR); // RI falls: trailing-edge ring indicator
        assertThat(in(MSR)).isEqualTo(MSR_DSR | MSR_TERI);
        out(MCR, 0);
        assertThat(in(MSR) & 0xf0).isEqualTo(MSR_CTS | MSR_DSR | MSR_DCD);
    }

    @Test
    void scratchRegisterHoldsWhatWasWrittenAndReadOnlyRegistersIgnoreWrites() {
        out(SCR, 0x5a);
        out(LSR, 0x00);
        out(MSR, 0x00);
        assertThat(in(SCR)).isEqualTo(0x5a);
        assertThat(in(LSR)).isEqualTo(LSR_THRE | LSR_TEMT);
        assertThat(in(MSR)).isEqualTo(MSR_CTS | MSR_DSR | MSR_DCD);
    }
}
