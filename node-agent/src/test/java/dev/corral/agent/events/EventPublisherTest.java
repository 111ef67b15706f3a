package dev.corral.agent.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The publisher's thread outlives a journal it cannot read: it is the only way events ever leave the node. */
class EventPublisherTest {

    @TempDir
    Path dir;

    @Test
    void aJournalThatFailsToReadDoesNotEndThePublisher() throws Exception {
        var journal = EventJournal.open(dir, 1 << 20);
        // No broker: the publisher's first connection attempt fails (max.block.ms, 2 s), then it reads the journal.
        var publisher = new EventPublisher(journal, "127.0.0.1:1", "corral.lifecycle");
        try {
            journal.close(); // every read of it now fails with an I/O error
            Thread.sleep(Duration.ofSeconds(4));
            assertThat(publisherThreadAlive()).as("the publisher thread after failed reads of its journal").isTrue();
        } finally {
            publisher.close();
        }
    }

    private static boolean publisherThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("corral-event-publisher") && t.isAlive());
    }
}
