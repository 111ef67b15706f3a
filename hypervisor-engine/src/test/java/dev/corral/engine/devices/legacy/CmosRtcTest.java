package dev.corral.engine.devices.legacy;

import static dev.corral.engine.devices.legacy.CmosRtc.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class CmosRtcTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private Instant now;

        ManualClock(String instant) {
            now = Instant.parse(instant);
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock("2026-11-25T14:07:09Z"); // a Wednesday
    private final CmosRtc rtc = new CmosRtc(clock);

    private int read(int register) {
        rtc.writeByte(INDEX, register);
        return rtc.readByte(DATA);
    }

    private void write(int register, int value) {
        rtc.writeByte(INDEX, register);
        rtc.writeByte(DATA, value);
    }

    @Test
    void timeIsBcdAnd24HourByDefault() {
        assertThat(read(SECONDS)).isEqualTo(0x09);
        assertThat(read(MINUTES)).isEqualTo(0x07);
        assertThat(read(HOURS)).isEqualTo(0x14);
        assertThat(read(DAY_OF_WEEK)).isEqualTo(0x04); // Sunday is 1
        assertThat(read(DAY_OF_MONTH)).isEqualTo(0x25);
        assertThat(read(MONTH)).isEqualTo(0x11);
        assertThat(read(YEAR)).isEqualTo(0x26);
        assertThat(read(CENTURY)).isEqualTo(0x20);
        assertThat(read(STATUS_B)).isEqualTo(B_24_HOUR);
    }

    @Test
    void statusBSelectsBinaryAnd12HourForms() {
        write(STATUS_B, B_24_HOUR | B_BINARY);
        assertThat(read(HOURS)).isEqualTo(14);
        assertThat(read(DAY_OF_MONTH)).isEqualTo(25);
        assertThat(read(YEAR)).isEqualTo(26);

        write(STATUS_B, 0); // BCD, 12-hour
        assertThat(read(HOURS)).isEqualTo(HOUR_PM | 0x02);
    }

    @Test
    void statusRegistersSayTheClockIsValidAndNeverUpdating() {
        assertThat(read(STATUS_A) & A_UPDATE_IN_PROGRESS).isZero();
        assertThat(read(STATUS_A)).isEqualTo(0x26);
        assertThat(read(STATUS_C)).isZero();
        assertThat(read(STATUS_D)).isEqualTo(D_VALID_RAM_AND_TIME);
        write(STATUS_D, 0);
        assertThat(read(STATUS_D)).isEqualTo(D_VALID_RAM_AND_TIME);
    }

    @Test
    void theClockFollowsTheHostClock() {
        clock.advance(Duration.ofSeconds(51));
        assertThat(read(SECONDS)).isZero();
        assertThat(read(MINUTES)).isEqualTo(0x08);
    }

    @Test
    void theNmiBitOfTheIndexIsIgnored() {
        rtc.writeByte(INDEX, 0x80 | MINUTES);
        assertThat(rtc.readByte(DATA)).isEqualTo(0x07);
    }

    @Test
    void theOtherBytesAreRam() {
        write(0x10, 0x42);
        write(0x7f, 0x99);
        assertThat(read(0x10)).isEqualTo(0x42);
        assertThat(read(0x7f)).isEqualTo(0x99);
        assertThat(read(0x11)).isZero();
    }

    @Test
    void aGuestSettingTheTimeFieldByFieldUnderSetGetsThatTimeAndItKeepsRunning() {
        write(STATUS_B, B_SET | B_24_HOUR);
        write(DAY_OF_MONTH, 0x31); // not a November day: only valid once the month is written
        write(MONTH, 0x12);
        write(HOURS, 0x23);
        write(MINUTES, 0x59);
        write(SECONDS, 0x50);
        clock.advance(Duration.ofSeconds(5));
        assertThat(read(SECONDS)).isEqualTo(0x50); // frozen while SET
        write(STATUS_B, B_24_HOUR);

        clock.advance(Duration.ofSeconds(15));
        assertThat(read(SECONDS)).isEqualTo(0x05);
        assertThat(read(MINUTES)).isZero();
        assertThat(read(HOURS)).isZero();
        assertThat(read(DAY_OF_MONTH)).isEqualTo(0x01);
        assertThat(read(MONTH)).isEqualTo(0x01);
        assertThat(read(YEAR)).isEqualTo(0x27);
    }

    @Test
    void anImpossibleDateIsIgnored() {
        write(MONTH, 0x13);
        write(HOURS, 0xff);
        assertThat(read(MONTH)).isEqualTo(0x11);
        assertThat(read(HOURS)).isEqualTo(0x14);
    }
}
