package dev.corral.engine.devices.legacy;

import static dev.corral.engine.devices.legacy.I8254.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

class I8254Test {

    private static final long START = 5_000_000_000L;
    /** 1193182 Hz / 100: the count Linux writes for a 100 Hz tick. */
    private static final int HUNDRED_HZ = 11932;

    private long now = START;
    private final RecordingInterruptController irqs = new RecordingInterruptController();
    private final I8254 pit = new I8254(new InterruptLine(irqs, 0), () -> now);

    private void program(int counter, int access, int mode, int count) {
        pit.writeByte(CONTROL, counter << 6 | access << 4 | mode << 1);
        switch (access) {
            case RW_LSB -> pit.writeByte(counter, count & 0xff);
            case RW_MSB -> pit.writeByte(counter, count >> 8);
            default -> {
                pit.writeByte(counter, count & 0xff);
                pit.writeByte(counter, count >> 8);
            }
        }
    }

    private void advance(long nanos) {
        now += nanos;
        pit.advanceTo(now);
    }

    private long risingEdges() {
        return irqs.changes().stream().filter(c -> c.equals("irq0 high")).count();
    }

    @Test
    void rateGeneratorAt100HzRaisesIrq0EveryTenMilliseconds() {
        program(0, RW_LSB_MSB, 2, HUNDRED_HZ);
        irqs.clear(); // programming mode 2 raises OUT, the edge any real PIT gives too

        long period = nanosFor(HUNDRED_HZ);
        assertThat(period).isBetween(10_000_000L, 10_001_000L);
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + period);

        advance(period - 1);
        assertThat(risingEdges()).isZero();
        advance(1);
        assertThat(risingEdges()).isEqualTo(1);
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + nanosFor(2L * HUNDRED_HZ));

        for (int i = 0; i < 99; i++) {
            now = pit.nextDeadlineNanos();
            pit.advanceTo(now);
        }
        assertThat(risingEdges()).isEqualTo(100);
        assertThat(now - START).isBetween(999_000_000L, 1_001_000_000L);
        assertThat(irqs.isHigh(0)).isTrue();
    }

    @Test
    void aVcpuLateForSeveralPeriodsGetsOneEdgeNotABurst() {
        program(0, RW_LSB_MSB, 2, HUNDRED_HZ);
        irqs.clear();
        advance(55_000_000); // five and a half periods
        assertThat(risingEdges()).isEqualTo(1);
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + nanosFor(6L * HUNDRED_HZ));
    }

    @Test
    void squareWaveIsHighForTheFirstHalfOfEachPeriodAndLowForTheSecond() {
        program(0, RW_LSB_MSB, 3, 1000);
        irqs.clear();
        advance(nanosFor(400));
        assertThat(irqs.isHigh(0)).isTrue();
        advance(nanosFor(600) - nanosFor(400) + 1);
        assertThat(irqs.isHigh(0)).isFalse();
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + nanosFor(1000));
        now = pit.nextDeadlineNanos();
        pit.advanceTo(now);
        assertThat(irqs.changes()).containsExactly("irq0 low", "irq0 high");
    }

    @Test
    void interruptOnTerminalCountFiresOnceAndThenHasNoDeadline() {
        pit.writeByte(CONTROL, 0x30); // counter 0, LSB then MSB, mode 0
        assertThat(irqs.isHigh(0)).isFalse();
        assertThat(pit.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE); // no count yet
        pit.writeByte(COUNTER_0, 0x00);
        pit.writeByte(COUNTER_0, 0x10); // 4096 clocks
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + nanosFor(4096));

        advance(nanosFor(4096));
        assertThat(irqs.changes()).containsExactly("irq0 high");
        assertThat(pit.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        advance(1_000_000_000);
        assertThat(irqs.changes()).containsExactly("irq0 high");
    }

    @Test
    void writingTheFirstByteOfAModeZeroCountStopsItWithOutLow() {
        program(0, RW_LSB_MSB, 0, 100);
        advance(nanosFor(100));
        assertThat(irqs.isHigh(0)).isTrue();
        pit.writeByte(COUNTER_0, 50);
        assertThat(irqs.isHigh(0)).isFalse();
        advance(1_000_000_000);
        assertThat(irqs.isHigh(0)).isFalse();
        pit.writeByte(COUNTER_0, 0);
        advance(nanosFor(50));
        assertThat(irqs.isHigh(0)).isTrue();
    }

    @Test
    void theCounterLatchHoldsTheCountUntilBothBytesAreRead() {
        program(0, RW_LSB_MSB, 2, 0x1234);
        now += nanosFor(0x34);
        pit.writeByte(CONTROL, 0x00); // latch counter 0
        now += nanosFor(0x100);
        pit.writeByte(CONTROL, 0x00); // ignored: the first latch is unread
        assertThat(pit.readByte(COUNTER_0) | pit.readByte(COUNTER_0) << 8).isEqualTo(0x1200);
        // Unlatched, the count moves on.
        int live = pit.readByte(COUNTER_0) | pit.readByte(COUNTER_0) << 8;
        assertThat(live).isEqualTo(0x1200 - 0x100);
    }

    @Test
    void readBackLatchesStatusThenCount() {
        program(2, RW_LSB, 3, 0x80);
        pit.writeByte(CONTROL, 0xc0 | 0x08); // read-back: count and status of counter 2
        int status = pit.readByte(COUNTER_2);
        assertThat(status).isEqualTo(STATUS_OUTPUT | RW_LSB << 4 | 3 << 1);
        assertThat(pit.readByte(COUNTER_2)).isEqualTo(0x80);

        pit.writeByte(CONTROL, 0x14); // counter 0, LSB only, mode 2: no count yet
        pit.writeByte(CONTROL, 0xe2); // read-back status only, counter 0
        assertThat(pit.readByte(COUNTER_0) & STATUS_NULL_COUNT).isEqualTo(STATUS_NULL_COUNT);
    }

    @Test
    void msbOnlyAndBcdCountsAreUnderstood() {
        program(0, RW_MSB, 2, 0x0100); // 256 clocks
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + nanosFor(256));

        pit.writeByte(CONTROL, 0x31); // LSB then MSB, mode 0, BCD
        pit.writeByte(COUNTER_0, 0x00);
        pit.writeByte(COUNTER_0, 0x10); // 1000 in BCD
        assertThat(pit.nextDeadlineNanos()).isEqualTo(START + nanosFor(1000));
        now += nanosFor(1);
        assertThat(pit.readByte(COUNTER_0) | pit.readByte(COUNTER_0) << 8).isEqualTo(0x0999);
    }

    @Test
    void counterTwoCountsOnlyWhileItsGateIsHigh() {
        var port61 = new SystemControlPort(pit, () -> now);
        port61.writeByte(0, 0x00);
        program(2, RW_LSB_MSB, 0, 1000);
        now += nanosFor(2000);
        assertThat(port61.readByte(0) & SystemControlPort.TIMER2_OUTPUT).isZero(); // gate low: not counting

        port61.writeByte(0, SystemControlPort.TIMER2_GATE);
        now += nanosFor(999);
        assertThat(port61.readByte(0) & SystemControlPort.TIMER2_OUTPUT).isZero();
        now += nanosFor(1000) - nanosFor(999);
        assertThat(port61.readByte(0) & SystemControlPort.TIMER2_OUTPUT).isEqualTo(SystemControlPort.TIMER2_OUTPUT);
        assertThat(port61.readByte(0) & 0x0f).isEqualTo(SystemControlPort.TIMER2_GATE);
        assertThat(irqs.changes()).as("counter 2 is not wired to IRQ 0").isEmpty();
    }

    @Test
    void clockConversionsAreExactInversesAcrossLongUptimes() {
        for (long clocks : new long[] {0, 1, 2, 11932, FREQUENCY_HZ - 1, FREQUENCY_HZ, 123_456_789_012L, 9_000_000_000_000L}) {
            long nanos = nanosFor(clocks);
            assertThat(clocksIn(nanos)).isEqualTo(clocks);
            if (nanos > 0) {
                assertThat(clocksIn(nanos - 1)).isEqualTo(clocks - 1);
            }
        }
        assertThat(clocksIn(1_000_000_000L)).isEqualTo(FREQUENCY_HZ);
    }

    @Test
    void theControlRegisterReadsAllOnes() {
        assertThat(pit.readByte(CONTROL)).isEqualTo(0xff);
    }
}
