package dev.corral.controlplane.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * EventTime must read exactly what {@link Instant#parse} reads: the same instant for what it accepts, a
 * DateTimeException for what it refuses. Seeded: every run checks the same cases.
 */
class EventTimeTest {

    private static final String DIGITS = "0123456789";
    private static final String NOISE = "0123456789-:.TZtz+ ";

    @Test
    void theUsualFormsReadAsInstantParseReadsThem() {
        for (var text : new String[] {"2026-11-01T10:00:00Z", "2026-11-01T10:00:00.250Z", "2026-11-01T10:00:00.123456789Z",
                "2024-02-29T23:59:59.1Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                "2026-11-01T10:00:00+02:00", "2026-11-01T01:00:00.5-17:59", "2026-11-01T10:00:00-00:00"}) {
            assertThat(EventTime.parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void whatTheCommonFormLeavesOutIsInstantParsesToDecide() {
        // Hour 24, a leap second, an offset of 18 hours, lower case, a comma, no fraction digits, ten of them.
        for (var text : new String[] {"2026-11-01T24:00:00Z", "2026-06-30T23:59:60Z", "2026-11-01T10:00:00+18:00",
                "2026-11-01t10:00:00z", "2026-11-01T10:00:00,5Z", "2026-11-01T10:00:00.Z", "2026-11-01T10:00:00.1234567891Z",
                "2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "+12026-11-01T10:00:00Z", "2026-11-01T10:00Z", ""}) {
            assertSameAsInstantParse(text);
        }
        assertThatThrownBy(() -> EventTime.parse("2026-02-30T10:00:00Z")).isInstanceOf(DateTimeException.class);
    }

    @Test
    void randomTimesAndOffsetsReadAsInstantParseReadsThem() {
        var random = new Random(19);
        for (int i = 0; i < 20_000; i++) {
            var instant = Instant.ofEpochSecond(random.nextLong(-62_167_219_200L, 253_402_300_800L), random.nextInt(1_000_000_000));
            var offset = ZoneOffset.ofTotalSeconds((random.nextInt(35) - 17) * 3600 + random.nextInt(4) * 15 * 60);
            String text = DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(instant.atOffset(random.nextBoolean() ? ZoneOffset.UTC : offset));
            assertThat(EventTime.parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void mangledTimesAreAcceptedOrRefusedAsInstantParseDoes() {
        var random = new Random(20);
        for (int i = 0; i < 50_000; i++) {
            var chars = Instant.ofEpochSecond(random.nextLong(0, 4_102_444_800L), random.nextInt(1_000) * 1_000_000L).toString()
                    .toCharArray();
            for (int k = 1 + random.nextInt(2); k > 0; k--) {
                int at = random.nextInt(chars.length);
                var alphabet = random.nextBoolean() ? DIGITS : NOISE;
                chars[at] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            assertSameAsInstantParse(new String(chars));
        }
    }

    private static void assertSameAsInstantParse(String text) {
        Instant expected;
        try {
            expected = Instant.parse(text);
        } catch (DateTimeException e) {
            assertThatThrownBy(() -> EventTime.parse(text)).as(text).isInstanceOf(DateTimeException.class);
            return;
        }
        assertThat(EventTime.parse(text)).as(text).isEqualTo(expected);
    }
}
