package dev.corral.controlplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * Two meters meet the same new workload at once (a replica that still holds a partition during a rebalance, or two
 * consumer groups): each reads "never seen" before the other commits. The workload's state is the only record of
 * what was applied, so the second to write it must roll back, not count the workload again.
 */
@QuarkusTest
class UsageMeterRaceIT {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @Inject
    UsageMeter meter;

    @Inject
    DataSource dataSource;

    @Test
    void theSecondMeterToCountANewWorkloadRollsBackInsteadOfCountingItTwice() throws Exception {
        String uid = UUID.randomUUID().toString();
        var records = List.of(record(uid, 1, "running", 0, 0), record(uid, 2, "stopped", 100, 1));
        var inFirstHook = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        // Two threads of their own: the common pool may have only one on a small machine.
        var threads = Executors.newFixedThreadPool(2);
        var first = CompletableFuture.supplyAsync(() -> meter.commit("race-a-" + uid, meter.parse(records), () -> {
            inFirstHook.countDown();
            await(release);
        }), threads);
        assertThat(inFirstHook.await(30, TimeUnit.SECONDS)).as("the first meter to write its batch").isTrue();
        // The second reads no state (the first has not committed) and blocks on the first's new row.
        var second = CompletableFuture.supplyAsync(() -> meter.commit("race-b-" + uid, meter.parse(records), () -> {
        }), threads);
        awaitBlockedOnALock();
        release.countDown();
        assertThat(first.get(30, TimeUnit.SECONDS).applied()).isEqualTo(2);
        assertThat(catchCause(second)).isInstanceOf(ConcurrentMeterException.class);
        assertThat(runningSeconds(uid)).isEqualTo(100);
        threads.shutdown();

        // Read again (as the consumer does after the failure), the batch finds the state and changes nothing.
        assertThat(meter.commit("race-b-" + uid, meter.parse(records), () -> {
        }).repeats()).isEqualTo(2);
        assertThat(runningSeconds(uid)).isEqualTo(100);
    }

    private static Delivery record(String uid, long sequence, String action, long second, long offset) {
        String json = "{\"specversion\":\"1.0\",\"id\":\"" + uid + "-" + sequence + "\",\"source\":\"/corral/nodes/n\",\"type\":\"corral.vm."
                + action + "\",\"time\":\"" + T0.plusSeconds(second) + "\",\"data\":{\"kind\":\"VM\",\"uid\":\"" + uid
                + "\",\"name\":\"race\",\"project\":\"race\",\"node\":\"n\",\"sequence\":" + sequence
                + ",\"vcpus\":2,\"memoryMiB\":1024,\"devices\":[]}}";
        return new Delivery("usage-race", 0, offset, json.getBytes(StandardCharsets.UTF_8));
    }

    private void awaitBlockedOnALock() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try (var c = dataSource.getConnection(); var s = c.prepareStatement(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO usage_workload%'");
                    var r = s.executeQuery()) {
                r.next();
                if (r.getInt(1) > 0) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the second meter never waited for the first one's new workload");
    }

    private long runningSeconds(String uid) throws SQLException {
        try (var c = dataSource.getConnection(); var s = c.prepareStatement(
                "SELECT coalesce(sum(extract(epoch FROM end_at - start_at)), 0) FROM usage_interval WHERE uid = ? AND phase = 'Running'")) {
            s.setString(1, uid);
            try (var r = s.executeQuery()) {
                r.next();
                return r.getLong(1);
            }
        }
    }

    private static Throwable catchCause(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS);
            throw new AssertionError("the second meter committed");
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            while (!(t instanceof ConcurrentMeterException) && t.getCause() != null) {
                t = t.getCause();
            }
            return t;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the second meter did not finish", e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
