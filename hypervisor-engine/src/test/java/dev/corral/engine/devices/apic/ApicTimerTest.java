package dev.corral.engine.devices.apic;

import static dev.corral.engine.devices.apic.ApicRig.START;
import static dev.corral.engine.devices.apic.LocalApic.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The APIC timer in its three modes, on a clock moved by hand (1 GHz bus and TSC: a tick is a nanosecond). */
class ApicTimerTest {

    private static final int VECTOR = 0xec;
    private static final int ONE_SHOT = 0, PERIODIC = 1 << 17, TSC_DEADLINE = 2 << 17, MASKED = 1 << 16;
    private static final int DIVIDE_BY_1 = 0xb, DIVIDE_BY_2 = 0x0, DIVIDE_BY_16 = 0x3;

    private final ApicRig rig = new ApicRig(1).enabled();
    private final LocalApic apic = rig.cpu(0);

    /** Timer interrupts delivered so far, each taken and retired as a guest would. */
    private int fired;

    private void collect() {
        for (int storm = 0; rig.take(0) == VECTOR; storm++) {
            assertThat(storm).as("a timer interrupt storm").isLessThan(3);
            fired++;
            rig.eoi(0);
        }
    }

    private void advance(long nanos) {
        rig.advance(nanos);
        collect();
    }

    @Test
    void aOneShotCountsDownAtTheDividedBusClockAndFiresOnce() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_16);
        rig.set(0, LVT_TIMER, ONE_SHOT | VECTOR);
        rig.set(0, TIMER_INITIAL, 1000);
        assertThat(apic.nextDeadlineNanos()).isEqualTo(START + 16_000);

        advance(8_000);
        assertThat(rig.reg(0, TIMER_CURRENT)).isEqualTo(500L);
        assertThat(fired).isZero();
        advance(7_999);
        assertThat(rig.reg(0, TIMER_CURRENT)).isEqualTo(1L);
        assertThat(fired).isZero();
        advance(1);
        assertThat(fired).isEqualTo(1);
        assertThat(rig.reg(0, TIMER_CURRENT)).isZero();
        assertThat(rig.reg(0, TIMER_INITIAL)).as("the initial count stays").isEqualTo(1000L);
        assertThat(apic.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        advance(1_000_000);
        assertThat(fired).isEqualTo(1);
    }

    @Test
    void periodicTimerFiresAtTheProgrammedRateAndStopsWhenMasked() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, PERIODIC | VECTOR);
        rig.set(0, TIMER_INITIAL, 4_000_000); // Linux's 250 Hz tick on a 1 GHz bus
        for (int i = 0; i < 250; i++) {
            rig.now = apic.nextDeadlineNanos();
            apic.advanceTo(rig.now);
            collect();
        }
        assertThat(fired).isEqualTo(250);
        assertThat(rig.now - START).isEqualTo(1_000_000_000L);
        assertThat(rig.reg(0, TIMER_CURRENT)).as("reloaded").isEqualTo(4_000_000L);
        advance(1_000_000);
        assertThat(rig.reg(0, TIMER_CURRENT)).isEqualTo(3_000_000L);

        rig.set(0, LVT_TIMER, MASKED | PERIODIC | VECTOR);
        assertThat(apic.nextDeadlineNanos()).as("nothing to wake for").isEqualTo(Long.MAX_VALUE);
        advance(100_000_000);
        assertThat(fired).isEqualTo(250);
        assertThat(rig.reg(0, TIMER_CURRENT)).as("but it keeps counting").isEqualTo(3_000_000L);

        rig.set(0, LVT_TIMER, PERIODIC | VECTOR);
        assertThat(rig.take(0)).as("no backlog when unmasked").isEqualTo(-1);
        advance(3_000_000);
        assertThat(fired).isEqualTo(251);
    }

    @Test
    void aVcpuLateForSeveralPeriodsGetsOneInterruptNotABurst() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, PERIODIC | VECTOR);
        rig.set(0, TIMER_INITIAL, 1_000);
        rig.advance(5_500);
        assertThat(rig.take(0)).isEqualTo(VECTOR);
        rig.eoi(0);
        assertThat(rig.take(0)).isEqualTo(-1);
        assertThat(apic.nextDeadlineNanos()).isEqualTo(START + 6_000);
    }

    @Test
    void writingZeroToTheInitialCountStopsTheTimer() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, PERIODIC | VECTOR);
        rig.set(0, TIMER_INITIAL, 1_000);
        advance(500);
        rig.set(0, TIMER_INITIAL, 0);
        assertThat(rig.reg(0, TIMER_CURRENT)).isZero();
        assertThat(apic.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        advance(10_000);
        assertThat(fired).isZero();
    }

    @Test
    void anInitialCountWriteRestartsTheCountFromTheTop() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, ONE_SHOT | VECTOR);
        rig.set(0, TIMER_INITIAL, 1_000);
        advance(900);
        rig.set(0, TIMER_INITIAL, 1_000);
        advance(900);
        assertThat(fired).isZero();
        assertThat(rig.reg(0, TIMER_CURRENT)).isEqualTo(100L);
        advance(100);
        assertThat(fired).isEqualTo(1);
    }

    @Test
    void changingTheTimerModeDisarmsIt() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, ONE_SHOT | VECTOR);
        rig.set(0, TIMER_INITIAL, 1_000);
        rig.set(0, LVT_TIMER, PERIODIC | VECTOR);
        advance(5_000);
        assertThat(fired).isZero();
        assertThat(rig.reg(0, TIMER_CURRENT)).isZero();

        rig.set(0, LVT_TIMER, PERIODIC | 0x30); // the vector alone is no mode change
        rig.set(0, TIMER_INITIAL, 1_000);
        rig.set(0, LVT_TIMER, PERIODIC | VECTOR);
        advance(1_000);
        assertThat(fired).isEqualTo(1);
    }

    @Test
    void aNewDivisorKeepsTheCountAndGoesOnAtTheNewRate() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, ONE_SHOT | VECTOR);
        rig.set(0, TIMER_INITIAL, 1_000);
        advance(400);
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_2);
        assertThat(rig.reg(0, TIMER_CURRENT)).isEqualTo(600L);
        advance(1_000);
        assertThat(rig.reg(0, TIMER_CURRENT)).isEqualTo(100L);
        advance(200);
        assertThat(fired).isEqualTo(1);
    }

    @Test
    void aTscDeadlineFiresWhenTheVcpusTscReachesItAndThenReadsZero() {
        rig.tscOffset = 1_000_000; // this vCPU's TSC runs a millisecond ahead of the VM's
        rig.set(0, LVT_TIMER, TSC_DEADLINE | VECTOR);
        apic.writeMsr(MSR_TSC_DEADLINE, 1_000_000 + 50_000);
        assertThat(apic.readMsr(MSR_TSC_DEADLINE)).isEqualTo(1_050_000L);
        assertThat(apic.nextDeadlineNanos()).isEqualTo(START + 50_000);
        assertThat(rig.reg(0, TIMER_CURRENT)).as("no count in this mode").isZero();
        rig.set(0, TIMER_INITIAL, 5);
        assertThat(rig.reg(0, TIMER_INITIAL)).as("and the initial count is ignored").isZero();

        advance(49_999);
        assertThat(fired).isZero();
        advance(1);
        assertThat(fired).isEqualTo(1);
        assertThat(apic.readMsr(MSR_TSC_DEADLINE)).as("disarmed by firing").isZero();
        assertThat(apic.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        advance(1_000_000);
        assertThat(fired).isEqualTo(1);
    }

    @Test
    void aTscDeadlineCanBeMovedDisarmedOrSetInThePast() {
        rig.set(0, LVT_TIMER, TSC_DEADLINE | VECTOR);
        apic.writeMsr(MSR_TSC_DEADLINE, 10_000);
        apic.writeMsr(MSR_TSC_DEADLINE, 20_000);
        advance(15_000);
        assertThat(fired).isZero();
        apic.writeMsr(MSR_TSC_DEADLINE, 0);
        advance(10_000);
        assertThat(fired).isZero();

        apic.writeMsr(MSR_TSC_DEADLINE, 1); // long gone: fires on the write
        collect();
        assertThat(fired).isEqualTo(1);
    }

    @Test
    void aFarFutureTscDeadlineNeverFiresAndNeverOverflows() {
        rig.set(0, LVT_TIMER, TSC_DEADLINE | VECTOR);
        for (long deadline : new long[] {Long.MAX_VALUE, -1L, Long.MIN_VALUE, Long.MAX_VALUE - 5}) {
            apic.writeMsr(MSR_TSC_DEADLINE, deadline);
            assertThat(apic.nextDeadlineNanos()).as("deadline 0x%x", deadline).isEqualTo(Long.MAX_VALUE);
            advance(1_000_000_000);
            assertThat(fired).isZero();
        }
    }

    @Test
    void theDeadlineMsrIgnoresWritesOutsideTscDeadlineModeAndLeavingTheModeDisarmsIt() {
        rig.set(0, LVT_TIMER, ONE_SHOT | VECTOR);
        apic.writeMsr(MSR_TSC_DEADLINE, 10_000);
        assertThat(apic.readMsr(MSR_TSC_DEADLINE)).isZero();

        rig.set(0, LVT_TIMER, TSC_DEADLINE | VECTOR);
        advance(20_000);
        assertThat(fired).isZero();
        apic.writeMsr(MSR_TSC_DEADLINE, 50_000); // Linux's shutdown writes the LVT in one-shot mode
        rig.set(0, LVT_TIMER, MASKED | ONE_SHOT | VECTOR);
        rig.set(0, LVT_TIMER, TSC_DEADLINE | VECTOR);
        assertThat(apic.readMsr(MSR_TSC_DEADLINE)).isZero();
        advance(100_000);
        assertThat(fired).isZero();
    }

    @Test
    void aMaskedTscDeadlineStillDisarmsWhenReached() {
        rig.set(0, LVT_TIMER, MASKED | TSC_DEADLINE | VECTOR);
        apic.writeMsr(MSR_TSC_DEADLINE, 1_000);
        rig.advance(2_000);
        assertThat(apic.readMsr(MSR_TSC_DEADLINE)).isZero();
        assertThat(rig.take(0)).isEqualTo(-1);
    }

    @Test
    void aTimerVectorBelowSixteenIsAnErrorNotAnInterrupt() {
        rig.set(0, TIMER_DIVIDE, DIVIDE_BY_1);
        rig.set(0, LVT_TIMER, ONE_SHOT | 0x0f);
        rig.set(0, TIMER_INITIAL, 10);
        rig.advance(10);
        assertThat(apic.hasInterrupt()).isFalse();
        rig.set(0, ESR, 0);
        assertThat(rig.reg(0, ESR)).isEqualTo(ESR_RECEIVE_ILLEGAL_VECTOR);
    }
}
