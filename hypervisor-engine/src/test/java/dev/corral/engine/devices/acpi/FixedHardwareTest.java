package dev.corral.engine.devices.acpi;

import static dev.corral.engine.devices.acpi.FixedHardware.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.corral.engine.machine.DeviceException;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

/** The ACPI fixed hardware register by register, as ACPI 6.3 chapter 4 and ACPICA's use of it expect. */
class FixedHardwareTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(5 * SECOND); // any start: the timer counts from creation
    private final AtomicInteger powerOffs = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private final RecordingInterruptController pic = new RecordingInterruptController();
    private final PortIoBus bus = new PortIoBus();
    private final FixedHardware pm = FixedHardware.attach(bus, pic, now::get, powerOffs::incrementAndGet, resets::incrementAndGet);

    private int in(int port, int size) {
        return bus.read(port, size);
    }

    private void out(int port, int size, int value) {
        bus.write(port, size, value);
    }

    private boolean sci() {
        return pic.isHigh(SCI_IRQ);
    }

    @Test
    void aPowerButtonPressSetsItsStatusAndRaisesTheSciOnlyOnceEnabled() {
        assertThat(in(PM1A_EVT_BLK, 2)).isZero();
        pm.pressPowerButton();
        assertThat(in(PM1A_EVT_BLK, 2)).isEqualTo(PWRBTN);
        assertThat(sci()).as("PWRBTN_EN is clear after reset").isFalse();
        out(PM1A_EVT_BLK + 2, 2, PWRBTN);                       // PM1_EN.PWRBTN_EN
        assertThat(sci()).isTrue();
        out(PM1A_EVT_BLK, 2, PWRBTN);                           // the OS's handler clears PWRBTN_STS
        assertThat(in(PM1A_EVT_BLK, 2)).isZero();
        assertThat(sci()).isFalse();
        assertThat(pic.changes()).containsExactly("irq9 high", "irq9 low");
    }

    @Test
    void theSciIsALevelThatFollowsStatusAndEnableTogether() {
        out(PM1A_EVT_BLK + 2, 2, PWRBTN);
        pm.pressPowerButton();
        assertThat(sci()).isTrue();
        pm.pressPowerButton();                                  // pressed again before the OS cleared it: no new edge
        out(PM1A_EVT_BLK + 2, 2, 0);                            // disabling the event drops the line, status stays
        assertThat(sci()).isFalse();
        assertThat(in(PM1A_EVT_BLK, 2)).isEqualTo(PWRBTN);
        out(PM1A_EVT_BLK + 2, 2, PWRBTN);
        assertThat(pic.changes()).containsExactly("irq9 high", "irq9 low", "irq9 high");
    }

    @Test
    void statusBitsClearOnlyWhereOnesAreWrittenAndByteWritesTouchTheirOwnByte() {
        pm.pressPowerButton();
        out(PM1A_EVT_BLK, 2, 0);
        out(PM1A_EVT_BLK, 2, ~PWRBTN & 0xffff);
        assertThat(in(PM1A_EVT_BLK, 2)).isEqualTo(PWRBTN);
        out(PM1A_EVT_BLK, 1, 0xff);                             // the low byte holds no PWRBTN_STS
        assertThat(in(PM1A_EVT_BLK, 2)).isEqualTo(PWRBTN);
        assertThat(in(PM1A_EVT_BLK + 1, 1)).isEqualTo(PWRBTN >>> 8);
        out(PM1A_EVT_BLK + 1, 1, PWRBTN >>> 8);
        assertThat(in(PM1A_EVT_BLK, 2)).isZero();
    }

    @Test
    void theEnablesOfEveryFixedEventStickAndNothingElseDoes() {
        // ACPICA enables GBL_EN and RTC_EN and reads them back; a bit that did not stick is "no hardware response".
        out(PM1A_EVT_BLK + 2, 2, 0xffff);
        assertThat(in(PM1A_EVT_BLK + 2, 2)).isEqualTo(TMR | GBL | PWRBTN | SLPBTN | RTC);
        out(PM1A_EVT_BLK + 2, 1, 0);                            // clears TMR_EN and GBL_EN, keeps the high byte
        assertThat(in(PM1A_EVT_BLK + 2, 2)).isEqualTo(PWRBTN | SLPBTN | RTC);
        assertThat(in(PM1A_EVT_BLK, 4)).as("PM1_STS and PM1_EN in one read").isEqualTo((PWRBTN | SLPBTN | RTC) << 16);
        assertThat(sci()).as("no status bit is set").isFalse();
    }

    @Test
    void sciEnReadsOneForeverAndTheWriteOnlyBitsReadZero() {
        assertThat(in(PM1A_CNT_BLK, 2)).isEqualTo(SCI_EN);
        out(PM1A_CNT_BLK, 2, GBL_RLS | BM_RLD | (3 << SLP_TYP_SHIFT));
        assertThat(in(PM1A_CNT_BLK, 2)).isEqualTo(SCI_EN | BM_RLD | (3 << SLP_TYP_SHIFT));
        out(PM1A_CNT_BLK, 2, 0);
        assertThat(in(PM1A_CNT_BLK, 2)).isEqualTo(SCI_EN);
        assertThat(powerOffs).hasValue(0);
    }

    @Test
    void enteringS5AsAcpicaDoesPowersOff() {
        // acpi_hw_legacy_sleep: write SLP_TYP, then SLP_TYP | SLP_EN, keeping the rest of PM1_CNT.
        int control = in(PM1A_CNT_BLK, 2) & ~(SLP_TYP | SLP_EN);
        out(PM1A_CNT_BLK, 2, control | (S5_SLEEP_TYPE << SLP_TYP_SHIFT));
        assertThat(powerOffs).as("SLP_TYP alone does nothing").hasValue(0);
        out(PM1A_CNT_BLK, 2, control | (S5_SLEEP_TYPE << SLP_TYP_SHIFT) | SLP_EN);
        assertThat(powerOffs).hasValue(1);
        assertThat(in(PM1A_CNT_BLK, 2) & SLP_EN).isZero();
        assertThat(resets).hasValue(0);
    }

    @Test
    void enteringS5WithByteWritesPowersOffOnTheByteThatHoldsSlpEn() {
        out(PM1A_CNT_BLK, 1, SCI_EN);
        out(PM1A_CNT_BLK + 1, 1, ((S5_SLEEP_TYPE << SLP_TYP_SHIFT) | SLP_EN) >>> 8);
        assertThat(powerOffs).hasValue(1);
    }

    @Test
    void anotherSleepStateIsRefusedTheMachineStaysAwakeAndReportsAWake() {
        int s1 = 1 << SLP_TYP_SHIFT;
        assertThatThrownBy(() -> pm.write(PM1_CNT, 2, SCI_EN | s1 | SLP_EN)).isInstanceOf(DeviceException.class)
                .hasMessage("the guest asked for sleep type 1 (PM1_CNT.SLP_TYP); only soft-off, type 5, is supported: the machine stays"
                        + " awake and reports a wake at once");
        assertThat(powerOffs).hasValue(0);
        assertThat(in(PM1A_EVT_BLK, 2)).as("WAK_STS, so an OS polling for the wake resumes").isEqualTo(WAK_STS);
        assertThat(sci()).as("WAK_STS has no enable and raises no SCI").isFalse();
        out(PM1A_EVT_BLK, 2, WAK_STS);
        assertThat(in(PM1A_EVT_BLK, 2)).isZero();
        out(PM1A_CNT_BLK, 2, SCI_EN | (2 << SLP_TYP_SHIFT) | SLP_EN); // through the bus: counted, not fatal
        assertThat(bus.counters().faultsOf("acpi-pm")).isEqualTo(1);
    }

    @Test
    void thePmTimerCountsAt3579545HzFromCreationAcross32Bits() {
        assertThat(in(PM_TMR_BLK, 4)).isZero();
        now.addAndGet(SECOND);
        assertThat(in(PM_TMR_BLK, 4)).isEqualTo(3_579_545);
        now.addAndGet(279);                                     // 998.7 ticks: rounded down
        assertThat(in(PM_TMR_BLK, 4)).isEqualTo(3_579_545);
        now.addAndGet(1);
        assertThat(in(PM_TMR_BLK, 4)).isEqualTo(3_579_546);
        now.addAndGet(1200 * SECOND);                           // past 2^32 ticks (1199.86 s): the counter wraps
        long ticks = (1201 * SECOND + 280) * 3_579_545 / SECOND;
        assertThat(Integer.toUnsignedLong(in(PM_TMR_BLK, 4))).isEqualTo(ticks & 0xffff_ffffL);
        out(PM_TMR_BLK, 4, 0);                                  // read-only
        assertThat(Integer.toUnsignedLong(in(PM_TMR_BLK, 4))).isEqualTo(ticks & 0xffff_ffffL);
        assertThat(in(PM_TMR_BLK + 2, 2)).isEqualTo((int) (ticks >>> 16) & 0xffff);
        assertThat(in(PM_TMR_BLK + 3, 1)).isEqualTo((int) (ticks >>> 24) & 0xff);
    }

    @Test
    void tmrStsIsSetWhenBit31ChangesAndRaisesTheSciWhenEnabled() {
        long toggle = pm.nextTimerEventNanos();
        assertThat(toggle).as("TMR_EN clear: no timer event to wait for").isEqualTo(Long.MAX_VALUE);
        out(PM1A_EVT_BLK + 2, 2, TMR);
        long at = pm.nextTimerEventNanos();
        assertThat(at - 5 * SECOND).as("2^31 ticks at 3.579545 MHz").isEqualTo(599_932_015_941L);
        now.set(at - 1);
        pm.poll();
        assertThat(in(PM1A_EVT_BLK, 2) & TMR).isZero();
        assertThat(sci()).isFalse();
        now.set(at);
        assertThat(sci()).as("the line moves when the VM polls, not by itself").isFalse();
        pm.poll();
        assertThat(sci()).isTrue();
        assertThat(in(PM1A_EVT_BLK, 2) & TMR).isEqualTo(TMR);
        assertThat(pm.nextTimerEventNanos()).as("already pending").isEqualTo(Long.MAX_VALUE);
        out(PM1A_EVT_BLK, 2, TMR);
        assertThat(in(PM1A_EVT_BLK, 2) & TMR).isZero();
        assertThat(sci()).isFalse();
        assertThat(pm.nextTimerEventNanos() - 5 * SECOND).as("the next toggle, at 2^32 ticks").isEqualTo(1_199_864_031_882L);
    }

    @Test
    void theGpeBlockHasNoSourcesAndItsEnablesStick() {
        assertThat(in(GPE0_BLK, 4)).isZero();
        out(GPE0_BLK + 2, 2, 0xa5f0);
        assertThat(in(GPE0_BLK + 2, 2)).isEqualTo(0xa5f0);
        assertThat(in(GPE0_BLK + 3, 1)).isEqualTo(0xa5);
        out(GPE0_BLK, 2, 0xffff);
        assertThat(in(GPE0_BLK, 4)).isEqualTo(0xa5f0 << 16);
        assertThat(sci()).isFalse();
    }

    @Test
    void writingTheResetValueToTheResetRegisterResets() {
        out(RESET_REG, 1, 0x02);
        out(RESET_REG, 1, 0x00);
        assertThat(resets).hasValue(0);
        assertThat(in(RESET_REG, 1)).isZero();
        out(RESET_REG, 1, RESET_VALUE);
        assertThat(resets).hasValue(1);
        assertThat(powerOffs).hasValue(0);
    }

    @Test
    void theReservedWordReadsZeroAndIgnoresWrites() {
        out(PM1A_EVT_BLK + 6, 2, 0xffff);
        assertThat(in(PM1A_EVT_BLK + 6, 2)).isZero();
        assertThat(bus.counters().totalFaults()).isZero();
    }

    @Test
    void randomAccessesNeverFailTheBusAndTheSciAlwaysMatchesTheRegisters() {
        var random = new Random(2026_12_06);
        for (int i = 0; i < 20_000; i++) {
            int size = new int[] {1, 2, 4}[random.nextInt(3)];
            int offset = random.nextInt(LENGTH - size + 1);
            int value = random.nextInt();
            if (offset <= PM1_CNT + 1 && offset + size > PM1_CNT + 1) {
                value &= ~((SLP_EN >>> 8) << (8 * (PM1_CNT + 1 - offset))); // sleeping is tested above
            }
            if (offset <= RESET && offset + size > RESET) {
                value &= ~(0xff << (8 * (RESET - offset)));
            }
            switch (random.nextInt(4)) {
                case 0 -> out(BASE + offset, size, value);
                case 1 -> in(BASE + offset, size);
                case 2 -> pm.pressPowerButton();
                default -> now.addAndGet(random.nextLong(SECOND * 60));
            }
            pm.poll();
            int pm1 = in(PM1A_EVT_BLK, 4);
            int gpe = in(GPE0_BLK, 4);
            boolean expected = ((pm1 & 0xffff) & (pm1 >>> 16)) != 0 || ((gpe & 0xffff) & (gpe >>> 16)) != 0;
            assertThat(sci()).as("access %d", i).isEqualTo(expected);
            assertThat(in(PM1A_CNT_BLK, 2) & SCI_EN).isEqualTo(SCI_EN);
        }
        assertThat(bus.counters().totalFaults()).isZero();
        assertThat(powerOffs).hasValue(0);
        assertThat(resets).hasValue(0);
    }
}
