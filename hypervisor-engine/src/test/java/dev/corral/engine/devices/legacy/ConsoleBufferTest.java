package dev.corral.engine.devices.legacy;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleBufferTest {

    private static void print(ConsoleSink sink, String text) {
        var bytes = text.getBytes(US_ASCII);
        sink.write(bytes, 0, bytes.length);
    }

    private static String text(ConsoleBuffer.Chunk chunk) {
        return new String(chunk.bytes(), US_ASCII);
    }

    @Test
    void aReaderResumesWhereItStopped() {
        var console = ConsoleBuffer.of(64);
        print(console, "Linux version 6.6\n");
        var first = console.readFrom(0);
        print(console, "Run /init\n");
        var second = console.readFrom(first.next());

        assertThat(text(first)).isEqualTo("Linux version 6.6\n");
        assertThat(text(second)).isEqualTo("Run /init\n");
        assertThat(second.missed()).isZero();
        assertThat(console.end()).isEqualTo(28);
        assertThat(console.readFrom(console.end()).bytes()).isEmpty();
    }

    @Test
    void wraparoundKeepsTheNewestBytesAndReportsWhatAReaderMissed() {
        var console = ConsoleBuffer.of(8);
        print(console, "0123456789abcdef");

        var all = console.readFrom(0);
        assertThat(text(all)).isEqualTo("89abcdef");
        assertThat(all.offset()).isEqualTo(8);
        assertThat(all.missed()).isEqualTo(8);

        var late = console.readFrom(5);
        assertThat(late.missed()).isEqualTo(3);
        assertThat(text(console.readFrom(12))).isEqualTo("cdef");
        assertThat(console.readFrom(12).missed()).isZero();
    }

    @Test
    void anOffsetPastTheEndReadsNothingFromTheEnd() {
        var console = ConsoleBuffer.of(8);
        print(console, "abc");
        var chunk = console.readFrom(1000);
        assertThat(chunk.bytes()).isEmpty();
        assertThat(chunk.next()).isEqualTo(3);
        assertThatThrownBy(() -> console.readFrom(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ConsoleBuffer.of(0)).hasMessageContaining("at least one byte");
    }

    @Test
    void aFollowerGetsTheBacklogThenLiveOutputWithoutGapOrRepeat() throws Exception {
        var console = ConsoleBuffer.of(4);
        print(console, "booting");
        var received = new StringBuilder();
        var missed = new ArrayList<Long>();
        var handle = console.follow(0, chunk -> {
            received.append(text(chunk));
            missed.add(chunk.missed());
        });
        print(console, " ok");
        handle.close();
        print(console, " after");

        assertThat(received).hasToString("ting ok");
        assertThat(missed.getFirst()).isEqualTo(3);
    }

    @Test
    void aFollowerThatThrowsIsDroppedWithoutStoppingTheOthersOrTheWriter() {
        var console = ConsoleBuffer.of(64);
        var healthy = new StringBuilder();
        var brokenCalls = new int[1];
        console.follow(0, chunk -> {
            brokenCalls[0]++;
            throw new IllegalStateException("connection closed");
        });
        console.follow(0, chunk -> healthy.append(text(chunk)));

        print(console, "abc");

        assertThat(healthy).hasToString("abc");
        assertThat(brokenCalls[0]).isEqualTo(1);
        assertThat(text(console.readFrom(0))).isEqualTo("abc");
    }

    @Test
    void theTeeAppendsEveryByteToTheFile(@TempDir Path dir) throws IOException {
        var log = dir.resolve("console.log");
        Files.writeString(log, "previous boot\n");
        try (var console = ConsoleBuffer.teeingTo(4, log)) {
            print(console, "line one\n");
            assertThat(Files.readString(log)).isEqualTo("previous boot\nline one\n"); // flushed at the newline
            print(console, "partial");
        }
        assertThat(Files.readString(log)).isEqualTo("previous boot\nline one\npartial");
    }

    @Test
    void aTeeThatCannotOpenItsFileIsATypedError(@TempDir Path dir) {
        assertThatThrownBy(() -> ConsoleBuffer.teeingTo(4, dir.resolve("missing/console.log")))
                .hasMessageContaining("cannot open console log");
    }

    @Test
    void concurrentWritersAndReadersNeverSeeATornRing() throws Exception {
        var console = ConsoleBuffer.of(16);
        var writer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 100_000; i++) {
                console.write((byte) ('a' + (i % 16)));
            }
        });
        while (writer.isAlive()) {
            var chunk = console.readFrom(0);
            for (int i = 0; i < chunk.bytes().length; i++) {
                // Byte at offset n is always 'a' + n % 16: a reader never sees a half-updated ring.
                assertThat(chunk.bytes()[i]).isEqualTo((byte) ('a' + ((chunk.offset() + i) % 16)));
            }
        }
        writer.join();
        assertThat(console.end()).isEqualTo(100_000);
    }

    @Test
    void aResumedConsoleHoldsTheLogsTailAndContinuesItsOffsets(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("console.log");
        try (var first = ConsoleBuffer.teeingTo(64, log)) {
            for (byte b : "booted\ntick 1\n".getBytes(US_ASCII)) {
                first.write(b);
            }
        }
        try (var resumed = ConsoleBuffer.resuming(7, log)) {
            assertThat(resumed.end()).isEqualTo(14);
            var held = resumed.readFrom(0);
            assertThat(new String(held.bytes(), US_ASCII)).isEqualTo("tick 1\n");
            assertThat(held.missed()).isEqualTo(7);
            for (byte b : "tick 2\n".getBytes(US_ASCII)) {
                resumed.write(b);
            }
            assertThat(new String(resumed.readFrom(14).bytes(), US_ASCII)).isEqualTo("tick 2\n");
        }
        assertThat(Files.readString(log, US_ASCII)).isEqualTo("booted\ntick 1\ntick 2\n");
        try (var fresh = ConsoleBuffer.resuming(16, dir.resolve("none.log"))) {
            assertThat(fresh.end()).isZero();
        }
    }

    @Test
    void aFullLogIsRotatedSoThatAChattyGuestCannotFillTheDisk(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("console.log");
        try (var console = ConsoleBuffer.teeingTo(16, log, 10)) {
            for (byte b : "0123456789abcdefghijKLM".getBytes(US_ASCII)) {
                console.write(b);
            }
            console.flush();
            assertThat(new String(console.readFrom(0).bytes(), US_ASCII)).as("the ring is not affected").isEqualTo("789abcdefghijKLM");
        }
        assertThat(Files.readString(dir.resolve("console.log.1"), US_ASCII)).isEqualTo("abcdefghij");
        assertThat(Files.readString(log, US_ASCII)).isEqualTo("KLM");
    }
}
