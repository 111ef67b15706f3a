package dev.corral.agent.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventJournalTest {

    @TempDir
    Path dir;

    @Test
    void undeliveredEventsSurviveARestartInOrder() {
        try (var journal = EventJournal.open(dir, 1 << 20)) {
            for (int i = 1; i <= 5; i++) {
                journal.append("vm-" + (i % 2), "{\"seq\": " + i + "}");
            }
            journal.delivered(journal.pending(2).getLast());
        }
        try (var journal = EventJournal.open(dir, 1 << 20)) {
            assertThat(journal.pending(100)).extracting(EventJournal.Entry::value)
                    .containsExactly("{\"seq\": 3}", "{\"seq\": 4}", "{\"seq\": 5}");
            journal.delivered(journal.pending(100).getLast());
            assertThat(journal.pending(100)).isEmpty();
            assertThat(journal.pendingBytes()).isZero();
        }
    }

    @Test
    void aTornLastRecordIsCutOffNotMisread() throws IOException {
        try (var journal = EventJournal.open(dir, 1 << 20)) {
            journal.append("k", "first");
            journal.append("k", "second");
        }
        // A crash in the middle of the third append leaves half a record.
        Files.write(dir.resolve("events.journal"), new byte[] {0, 0, 0, 40, 1, 2, 3, 4, 'x'}, StandardOpenOption.APPEND);
        try (var journal = EventJournal.open(dir, 1 << 20)) {
            assertThat(journal.pending(100)).extracting(EventJournal.Entry::value).containsExactly("first", "second");
            journal.append("k", "third");
            assertThat(journal.pending(100)).extracting(EventJournal.Entry::value).containsExactly("first", "second", "third");
        }
    }

    @Test
    void aFullJournalRefusesNewEventsWithAClearError() {
        try (var journal = EventJournal.open(dir, 100)) {
            journal.append("k", "x".repeat(40));
            assertThatThrownBy(() -> journal.append("k", "y".repeat(60)))
                    .isInstanceOf(EventJournal.JournalFullException.class)
                    .hasMessageContaining("Kafka has been unreachable too long");
            journal.delivered(journal.pending(1).getLast());
            journal.append("k", "y".repeat(60));
        }
    }
}
