package dev.corral.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class WorkQueueTest {

    @Test
    void keyAddedTwiceWhileWaitingIsHandedOutOnce() throws Exception {
        try (var q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1))) {
            q.add("a");
            q.add("a");
            q.add("b");
            assertThat(q.length()).isEqualTo(2);
            assertThat(q.take()).contains("a");
            assertThat(q.take()).contains("b");
        }
    }

    @Test
    void keyAddedWhileAWorkerHasItComesBackOnlyAfterTheWorkerIsDone() throws Exception {
        try (var q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1))) {
            q.add("a");
            assertThat(q.take()).contains("a");
            q.add("a");
            assertThat(q.length()).as("not handed to a second worker while the first has it").isZero();
            q.done("a");
            assertThat(q.length()).isEqualTo(1);
            assertThat(q.take()).contains("a");
        }
    }

    @Test
    void backoffDoublesUpToItsLimitAndForgetResetsIt() throws Exception {
        try (var q = new WorkQueue(Duration.ofMillis(100), Duration.ofMillis(1000))) {
            assertThat(q.backoff(1)).isEqualTo(Duration.ofMillis(100));
            assertThat(q.backoff(2)).isEqualTo(Duration.ofMillis(200));
            assertThat(q.backoff(4)).isEqualTo(Duration.ofMillis(800));
            assertThat(q.backoff(5)).isEqualTo(Duration.ofMillis(1000));
            assertThat(q.backoff(80)).isEqualTo(Duration.ofMillis(1000));
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(100));
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(200));
            q.forget("a");
            assertThat(q.addRateLimited("a")).isEqualTo(Duration.ofMillis(100));
            assertThat(q.take()).as("the failed key comes back after its delay").contains("a");
        }
    }

    @Test
    void closedQueueReleasesWaitingWorkers() throws Exception {
        var q = new WorkQueue(Duration.ofMillis(10), Duration.ofSeconds(1));
        var taker = Thread.ofPlatform().start(() -> {
            try {
                assertThat(q.take()).isEmpty();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Thread.sleep(50);
        q.close();
        taker.join(2000);
        assertThat(taker.isAlive()).isFalse();
    }
}
