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
                .isEqualTo("a\\tb\\nc\\rd\\\\e\t\\N\t7\t2.5\t2026-11-01T00:00:00.250Z\nü\n");
    }
}
