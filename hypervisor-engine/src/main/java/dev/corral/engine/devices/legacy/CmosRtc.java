package dev.corral.engine.devices.legacy;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Objects;

import dev.corral.engine.machine.BytePortIoDevice;

/**
 * The PC's CMOS real-time clock (Motorola MC146818): 128 bytes behind an index port (0x70) and a data port
 * (0x71). The time registers read the wall clock of the {@link Clock} given, in that clock's zone (Linux
 * guests expect UTC), in BCD or binary and 24- or 12-hour form as status register B says; the rest is RAM.
 *
 * <p>A guest may set the time (hwclock -w): the change is kept as an offset from the host clock. While
 * register B's SET bit is on, writes collect in a frozen copy and take effect together when it goes off, so
 * a date written one field at a time is never judged half-written; an impossible date is ignored and the
 * clock keeps its time.
 *
 * <p>Not emulated: alarms, periodic and update interrupts (status C always reads 0), the update cycle (UIP is
 * always clear, so a guest waiting for it to drop never waits), and NMI masking (bit 7 of the index).
 */
public final class CmosRtc implements BytePortIoDevice {

    public static final int BASE = 0x70;
    public static final int LENGTH = 2;

    // Ports, as offsets from 0x70.
    static final int INDEX = 0, DATA = 1;

    // Register indexes.
    static final int SECONDS = 0x00, MINUTES = 0x02, HOURS = 0x04, DAY_OF_WEEK = 0x06;
    static final int DAY_OF_MONTH = 0x07, MONTH = 0x08, YEAR = 0x09;
    static final int STATUS_A = 0x0a, STATUS_B = 0x0b, STATUS_C = 0x0c, STATUS_D = 0x0d;
    static final int CENTURY = 0x32; // where ACPI's FADT says the century is, by PC convention

    static final int A_UPDATE_IN_PROGRESS = 0x80;
    static final int A_DEFAULT = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    static final int B_SET = 0x80, B_BINARY = 0x04, B_24_HOUR = 0x02;
    static final int D_VALID_RAM_AND_TIME = 0x80;
    static final int HOUR_PM = 0x80;

    // Positions in a time-fields array.
    private static final int SECOND = 0, MINUTE = 1, HOUR = 2, DAY = 3, MONTH_OF_YEAR = 4, YEAR_OF_ERA = 5;

    private static final int INDEX_MASK = 0x7f; // bit 7 of the index disables NMI on a PC; not ours to model

    private final Clock clock;
    private final byte[] ram = new byte[128];
    private int index;
    private Duration offset = Duration.ZERO;
    private int[] frozen; // while B.SET: the fields as the guest is rewriting them

    public CmosRtc(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        ram[STATUS_A] = (byte) A_DEFAULT;
        ram[STATUS_B] = (byte) B_24_HOUR; // BCD, 24-hour: what a PC BIOS leaves
    }

    @Override
    public synchronized int readByte(int port) {
        return switch (port) {
            case DATA -> readRegister(index);
            default -> 0xff; // the index port is write-only
        };
    }

    @Override
    public synchronized void writeByte(int port, int value) {
        switch (port) {
            case INDEX -> index = value & INDEX_MASK;
            case DATA -> writeRegister(index, value);
            default -> { }
        }
    }

    private int readRegister(int register) {
        var t = fields();
        return switch (register) {
            case SECONDS -> encode(t[SECOND]);
            case MINUTES -> encode(t[MINUTE]);
            case HOURS -> encodeHour(t[HOUR]);
            case DAY_OF_WEEK -> encode(dayOfWeek(t));
            case DAY_OF_MONTH -> encode(t[DAY]);
            case MONTH -> encode(t[MONTH_OF_YEAR]);
            case YEAR -> encode(t[YEAR_OF_ERA] % 100);
            case CENTURY -> encode(t[YEAR_OF_ERA] / 100);
            case STATUS_A -> ram[STATUS_A] & ~A_UPDATE_IN_PROGRESS & 0xff;
            case STATUS_C -> 0; // no interrupt flags: none are emulated
            case STATUS_D -> D_VALID_RAM_AND_TIME;
            default -> ram[register] & 0xff;
        };
    }

    private void writeRegister(int register, int value) {
        switch (register) {
            case SECONDS -> setField(SECOND, decode(value));
            case MINUTES -> setField(MINUTE, decode(value));
            case HOURS -> setField(HOUR, decodeHour(value));
            case DAY_OF_MONTH -> setField(DAY, decode(value));
            case MONTH -> setField(MONTH_OF_YEAR, decode(value));
            case YEAR -> setField(YEAR_OF_ERA, fields()[YEAR_OF_ERA] / 100 * 100 + decode(value));
            case CENTURY -> setField(YEAR_OF_ERA, decode(value) * 100 + fields()[YEAR_OF_ERA] % 100);
            case DAY_OF_WEEK, STATUS_C, STATUS_D -> { } // the weekday follows from the date; C and D are read-only
            case STATUS_A -> ram[STATUS_A] = (byte) (value & ~A_UPDATE_IN_PROGRESS);
            case STATUS_B -> setStatusB(value);
            default -> ram[register] = (byte) value;
        }
    }

    private void setStatusB(int value) {
        boolean wasSet = (ram[STATUS_B] & B_SET) != 0;
        boolean set = (value & B_SET) != 0;
        if (set && !wasSet) {
            frozen = fields();
        }
        ram[STATUS_B] = (byte) value;
        if (!set && wasSet) {
            var written = frozen;
            frozen = null;
            apply(written);
        }
    }

    /**
     * The time as the guest sees it, as second, minute, hour, day, month, year: the host clock moved by what the
     * guest set, or the frozen copy (possibly not a valid date yet) while it is setting it.
     */
    private int[] fields() {
        if (frozen != null) {
            return frozen;
        }
        var t = LocalDateTime.now(clock).plus(offset);
        return new int[] {t.getSecond(), t.getMinute(), t.getHour(), t.getDayOfMonth(), t.getMonthValue(), t.getYear()};
    }

    private void setField(int field, int value) {
        var t = fields();
        t[field] = value;
        if (frozen == null) {
            apply(t);
        }
    }

    private void apply(int[] t) {
        try {
            var wanted = LocalDateTime.of(t[YEAR_OF_ERA], t[MONTH_OF_YEAR], t[DAY], t[HOUR], t[MINUTE], t[SECOND]);
            offset = Duration.between(LocalDateTime.now(clock), wanted);
        } catch (DateTimeException e) {
            // An impossible date (month 13, 31 February, a non-BCD digit): the chip would count from garbage;
            // keeping the current time is kinder and the guest's next write can fix it.
        }
    }

    private static int dayOfWeek(int[] t) {
        try {
            return LocalDate.of(t[YEAR_OF_ERA], t[MONTH_OF_YEAR], t[DAY]).getDayOfWeek().getValue() % 7 + 1; // 1 = Sunday
        } catch (DateTimeException e) {
            return 1; // a half-written date has no weekday yet
        }
    }

    private boolean binary() {
        return (ram[STATUS_B] & B_BINARY) != 0;
    }

    private int encode(int value) {
        return binary() ? value : (value / 10) << 4 | value % 10;
    }

    private int decode(int value) {
        return binary() ? value : (value >> 4) * 10 + (value & 0x0f);
    }

    private int encodeHour(int hour) {
        if ((ram[STATUS_B] & B_24_HOUR) != 0) {
            return encode(hour);
        }
        int twelve = hour % 12 == 0 ? 12 : hour % 12;
        return encode(twelve) | (hour >= 12 ? HOUR_PM : 0);
    }

    private int decodeHour(int value) {
        if ((ram[STATUS_B] & B_24_HOUR) != 0) {
            return decode(value);
        }
        return decode(value & ~HOUR_PM) % 12 + ((value & HOUR_PM) != 0 ? 12 : 0);
    }
}
