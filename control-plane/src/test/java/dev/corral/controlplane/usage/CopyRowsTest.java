package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class CopyRowsTest {

    @Test
    void valuesAreTabSeparatedWithTheTextFormatsEscapesAndNullAsBackslashN() {
        var rows = new CopyRows(64).text("a\tb\nc\rd\\e").text(null).number(7).number(2.5).time(Instant.parse("2026-11-01T00:00:00.25Z"))
                .end().text("ü").end();

        assertThat(new String(rows.bytes(), StandardCharsets.UTF_8))
                .isEqualTo("a\\tb\\nc\\rd\\\\e\t\\N\t7\t2.5\t2026-11-01 00:00:00.250000000+00\nü\n");
    }

    @Test
    void timesAreWrittenInUtcWithLeadingZerosAndNanosecondsOnlyWhenThereAreAny() {
        var rows = new CopyRows(64).time(Instant.parse("0987-03-04T05:06:07Z")).time(Instant.parse("1969-12-31T23:59:59.000000001Z"))
                .time(Instant.parse("9999-12-31T23:59:59.999999999Z")).end();

        assertThat(new String(rows.bytes(), StandardCharsets.UTF_8))
                .isEqualTo("0987-03-04 05:06:07+00\t1969-12-31 23:59:59.000000001+00\t9999-12-31 23:59:59.999999999+00\n");
    }
}
