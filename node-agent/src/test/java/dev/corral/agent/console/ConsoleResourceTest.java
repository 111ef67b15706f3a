package dev.corral.agent.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import org.junit.jupiter.api.Test;

class ConsoleResourceTest {

    private static ConsoleBuffer console(int capacity, String text) {
        var c = ConsoleBuffer.of(capacity);
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            c.write(b);
        }
        return c;
    }

    private static String tail(ConsoleBuffer c, int lines) {
        return new String(c.readFrom(ConsoleResource.tailStart(c, lines)).bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void tailGivesTheLastLines() {
        var c = console(1024, "booted\ntick 1\ntick 2\ntick 3\n");
        assertThat(tail(c, 2)).isEqualTo("tick 2\ntick 3\n");
        assertThat(tail(c, 1)).isEqualTo("tick 3\n");
        assertThat(tail(c, 0)).isEmpty();
        assertThat(tail(c, 10)).isEqualTo("booted\ntick 1\ntick 2\ntick 3\n");
    }

    @Test
    void partialLastLineCountsAsALine() {
        var c = console(1024, "a\nb\nc");
        assertThat(tail(c, 1)).isEqualTo("c");
        assertThat(tail(c, 2)).isEqualTo("b\nc");
    }

    @Test
    void tailOfAWrappedRingStartsWithinWhatIsHeld() {
        var c = console(8, "line-1\nline-2\nline-3\n");
        assertThat(tail(c, 1)).isEqualTo("line-3\n");
        assertThat(tail(c, 5)).isEqualTo("\nline-3\n");
    }
}
