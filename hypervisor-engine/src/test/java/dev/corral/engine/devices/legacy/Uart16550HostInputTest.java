package dev.corral.engine.devices.legacy;

import static dev.corral.engine.devices.legacy.Uart16550.*;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

/** Host console input ({@link Uart16550#sendInput}): the queue on the host's end of the line, and the interrupts. */
class Uart16550HostInputTest {

    /** What Linux's 8250 driver leaves in MCR once a program has the port open. */
    private static final int MCR_OPEN = MCR_DTR | MCR_RTS | MCR_OUT2;
    /** FCR as Linux programs a 16550A: FIFOs on, trigger level 8. */
    private static final int FCR_LINUX = FCR_ENABLE | 0x80;

    private final RecordingInterruptController pic = new RecordingInterruptController();
    private final Uart16550 uart = new Uart16550(new InterruptLine(pic, COM1_IRQ), ConsoleBuffer.of(64));

    private void openLikeLinux(Uart16550 port) {
        port.writeByte(FCR, FCR_LINUX);
        port.writeByte(IER, IER_RDA | IER_RLS);
        port.writeByte(MCR, MCR_OPEN);
    }

    private static byte[] paste(int length, long seed) {
        var random = new Random(seed);
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (' ' + random.nextInt(95)); // printable, so a failure message can be read
        }
        return bytes;
    }

    /**
     * A guest like Linux: it reads only when an edge-triggered PIC saw the line rise, and its handler then loops
     * until IIR says nothing is pending, reading at most 256 bytes per pass (serial8250_interrupt, rx_chars).
     */
    private static final class EdgeTriggeredGuest implements InterruptController {
        private boolean level;
        private boolean edge;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final List<Integer> lineStatusErrors = new ArrayList<>();
        int interrupts;

        @Override
        public synchronized void setLevel(int irq, boolean asserted) {
            if (asserted && !level) {
                edge = true;
            }
            level = asserted;
        }

        synchronized boolean takeEdge() {
            boolean was = edge;
            edge = false;
            return was;
        }

        void serviceInterrupts(Uart16550 port) {
            while (takeEdge()) {
                interrupts++;
                for (int iir; ((iir = port.readByte(IIR)) & IIR_NONE) == 0; ) {
                    int lsr = port.readByte(LSR);
                    if ((lsr & LSR_OE) != 0) {
                        lineStatusErrors.add(lsr);
                    }
                    for (int max = 256; (lsr & LSR_DR) != 0 && max > 0; max--) {
                        received.write(port.readByte(RBR));
                        lsr = port.readByte(LSR);
                    }
                }
            }
        }
    }

    @Test
    void aFourKibPasteArrivesWholeAndInOrderThroughAnInterruptDrivenGuest() {
        byte[] paste = paste(4096, 42);
        var guest = new EdgeTriggeredGuest();
        var port = new Uart16550(new InterruptLine(guest, COM1_IRQ), ConsoleBuffer.of(64));
        openLikeLinux(port);

        assertThat(port.sendInput(paste)).isEqualTo(4096);
        guest.serviceInterrupts(port);

        assertThat(new String(guest.received.toByteArray(), US_ASCII)).isEqualTo(new String(paste, US_ASCII));
        assertThat(guest.lineStatusErrors).as("no overrun").isEmpty();
        assertThat(port.hostInputDropped()).isZero();
        assertThat(port.hostInputQueued()).isZero();
    }

    /** Seeded: a paste sent in pieces of random sizes, the guest servicing its interrupts in between. */
    @Test
    void aPasteSentInPiecesBetweenTheGuestsInterruptsArrivesWholeAndInOrder() {
        for (long seed = 1; seed <= 30; seed++) {
            var random = new Random(seed);
            byte[] paste = paste(4096, seed);
            var guest = new EdgeTriggeredGuest();
            var port = new Uart16550(new InterruptLine(guest, COM1_IRQ), ConsoleBuffer.of(64));
            openLikeLinux(port);
            for (int sent = 0; sent < paste.length; ) {
                int n = Math.min(paste.length - sent, 1 + random.nextInt(300));
                assertThat(port.sendInput(java.util.Arrays.copyOfRange(paste, sent, sent + n))).isEqualTo(n);
                sent += n;
                if (random.nextInt(3) > 0) {
                    guest.serviceInterrupts(port); // sometimes the guest is busy and two pieces wait together
                }
            }
            guest.serviceInterrupts(port);
            assertThat(guest.received.toByteArray()).as("seed %d", seed).isEqualTo(paste);
            assertThat(guest.lineStatusErrors).as("seed %d", seed).isEmpty();
        }
    }

    /** A host thread types while the guest's vCPU thread drains: the UART's lock keeps queue and FIFO consistent. */
    @Test
    void aPasteFromAnotherThreadArrivesWholeAndInOrder() throws Exception {
        byte[] paste = paste(4096, 7);
        var guest = new EdgeTriggeredGuest();
        var port = new Uart16550(new InterruptLine(guest, COM1_IRQ), ConsoleBuffer.of(64));
        openLikeLinux(port);
        var done = new AtomicBoolean();
        var host = Thread.ofPlatform().start(() -> {
            for (int sent = 0; sent < paste.length; sent += 64) {
                port.sendInput(java.util.Arrays.copyOfRange(paste, sent, sent + 64));
                Thread.yield();
            }
            done.set(true);
        });
        // The guest services its interrupts until the host has sent everything, and once more after that.
        while (true) {
            boolean sentAll = done.get();
            guest.serviceInterrupts(port);
            if (sentAll) {
                break;
            }
            Thread.onSpinWait();
        }
        host.join();
        assertThat(guest.received.toByteArray()).isEqualTo(paste);
    }

    @Test
    void theFifoStaysFullWhileInputWaitsAndTheInterruptFollowsTheTriggerLevelAsItDrains() {
        openLikeLinux(uart);
        uart.sendInput(paste(20, 1)); // 16 in the FIFO, 4 waiting

        assertThat(uart.hostInputQueued()).isEqualTo(4);
        var causes = new ArrayList<Integer>();
        for (int i = 0; i < 20; i++) {
            causes.add(uart.readByte(IIR) & 0x0f);
            uart.readByte(RBR);
        }
        causes.add(uart.readByte(IIR) & 0x0f);

        // Reads 1-5 are refilled from the queue (16 held each time), then the FIFO drains: 16..8 held is at or above
        // the trigger level of 8 (received data available), 7..1 below it (character timeout), 0 nothing.
        var expected = new ArrayList<Integer>();
        for (int held = 16, queued = 4; held > 0; ) {
            expected.add(held >= 8 ? IIR_RDA : IIR_TIMEOUT);
            if (queued > 0) {
                queued--;
            } else {
                held--;
            }
        }
        expected.add(IIR_NONE);
        assertThat(causes).isEqualTo(expected);
        assertThat(pic.changes()).containsExactly("irq4 high", "irq4 low");
    }

    @Test
    void inputAfterTheGuestDrainedEverythingRaisesAFreshEdge() {
        openLikeLinux(uart);
        uart.sendInput("a".getBytes(US_ASCII));
        uart.readByte(RBR);
        uart.sendInput("b".getBytes(US_ASCII));
        assertThat(pic.changes()).containsExactly("irq4 high", "irq4 low", "irq4 high");
        assertThat(uart.readByte(RBR)).isEqualTo('b');
    }

    @Test
    void inputWaitsUntilTheGuestAssertsRtsAndThenRaisesTheInterrupt() {
        uart.writeByte(FCR, FCR_LINUX);
        uart.writeByte(IER, IER_RDA);
        uart.writeByte(MCR, MCR_OUT2); // the driver has set the port up; no program has opened it yet

        assertThat(uart.sendInput("ls\r".getBytes(US_ASCII))).isEqualTo(3);
        assertThat(uart.readByte(LSR) & LSR_DR).isZero();
        assertThat(pic.isHigh(COM1_IRQ)).isFalse();
        assertThat(uart.hostInputQueued()).isEqualTo(3);

        uart.writeByte(FCR, FCR_LINUX | FCR_CLEAR_RX); // the driver's start-up clears the FIFO: nothing of ours is in it
        uart.readByte(RBR);
        uart.writeByte(MCR, MCR_OPEN);

        assertThat(pic.isHigh(COM1_IRQ)).isTrue();
        assertThat(uart.readByte(IIR) & 0x0f).isEqualTo(IIR_TIMEOUT); // 3 bytes, below the trigger level
        assertThat(new String(new byte[] {(byte) uart.readByte(RBR), (byte) uart.readByte(RBR), (byte) uart.readByte(RBR)}, US_ASCII))
                .isEqualTo("ls\r");

        uart.writeByte(MCR, MCR_OUT2); // hang-up drops RTS: what comes now waits again
        uart.sendInput("x".getBytes(US_ASCII));
        assertThat(uart.readByte(LSR) & LSR_DR).isZero();
    }

    @Test
    void aGuestThatMasksTheReceiveInterruptLosesNothingAndCanStillPoll() {
        openLikeLinux(uart);
        uart.writeByte(IER, IER_RLS); // what the driver's throttle does when the tty buffer is full
        uart.sendInput(paste(40, 3));
        assertThat(pic.isHigh(COM1_IRQ)).isFalse();
        assertThat(uart.readByte(LSR) & (LSR_DR | LSR_OE)).isEqualTo(LSR_DR);

        uart.writeByte(IER, IER_RDA | IER_RLS); // unthrottled
        assertThat(pic.isHigh(COM1_IRQ)).isTrue();
        var received = new ByteArrayOutputStream();
        while ((uart.readByte(LSR) & LSR_DR) != 0) {
            received.write(uart.readByte(RBR));
        }
        assertThat(received.toByteArray()).isEqualTo(paste(40, 3));
        assertThat(pic.isHigh(COM1_IRQ)).isFalse();
    }

    @Test
    void withoutFifosInputMovesUpOneByteAtATimeWithoutOverrun() {
        uart.writeByte(MCR, MCR_OPEN);
        uart.sendInput("abc".getBytes(US_ASCII));
        var received = new StringBuilder();
        for (int lsr; ((lsr = uart.readByte(LSR)) & LSR_DR) != 0; ) {
            assertThat(lsr & LSR_OE).isZero();
            received.append((char) uart.readByte(RBR));
        }
        assertThat(received).hasToString("abc");
    }

    @Test
    void loopbackDisconnectsTheLineAndQueuedInputArrivesWhenItEnds() {
        uart.writeByte(FCR, FCR_LINUX);
        uart.writeByte(MCR, MCR_LOOP | MCR_OPEN);
        uart.sendInput("hi".getBytes(US_ASCII));
        uart.writeByte(THR, 'L');
        assertThat(uart.readByte(RBR)).isEqualTo('L');
        assertThat(uart.readByte(LSR) & LSR_DR).isZero();

        uart.writeByte(MCR, MCR_OPEN);
        assertThat((char) uart.readByte(RBR)).isEqualTo('h');
        assertThat((char) uart.readByte(RBR)).isEqualTo('i');
    }

    @Test
    void onlyAFullQueueDropsAndOnlyWhatDoesNotFitWithoutTouchingTheLineStatus() {
        var small = new Uart16550(new InterruptLine(pic, COM1_IRQ), ConsoleBuffer.of(64), 32);
        small.writeByte(FCR, FCR_LINUX);
        small.writeByte(IER, IER_RDA | IER_RLS);
        small.writeByte(MCR, MCR_OPEN);
        byte[] paste = paste(100, 9);

        assertThat(small.sendInput(paste)).isEqualTo(FIFO_SIZE + 32);
        assertThat(small.hostInputDropped()).isEqualTo(100 - FIFO_SIZE - 32);

        var received = new ByteArrayOutputStream();
        for (int lsr; ((lsr = small.readByte(LSR)) & LSR_DR) != 0; ) {
            assertThat(lsr & LSR_OE).as("the guest's FIFO never overran").isZero();
            received.write(small.readByte(RBR));
        }
        assertThat(received.toByteArray()).isEqualTo(java.util.Arrays.copyOf(paste, FIFO_SIZE + 32));
        assertThat(small.sendInput(paste)).as("room again once read").isEqualTo(FIFO_SIZE + 32);
    }
}
