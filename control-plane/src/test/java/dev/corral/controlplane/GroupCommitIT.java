package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.corral.controlplane.store.GroupCommit;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Concurrent writes share commits, and still each gets the outcome it would have had alone: a failing write takes
 * nothing of the others with it, and what it wrote itself is gone.
 */
@QuarkusTest
class GroupCommitIT {

    @Inject
    GroupCommit groupCommit;

    @Inject
    DataSource dataSource;

    @BeforeEach
    void probeTable() throws SQLException {
        sql("CREATE TABLE IF NOT EXISTS group_commit_probe (key text PRIMARY KEY)");
    }

    @Test
    void writesQueuedBehindABusyCommitShareOneAndAFailingOneRollsBackAlone() throws Exception {
        String run = unique("gc");
        var inFirst = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            // The first write holds the committer inside its transaction until the others are queued behind it.
            Future<String> first = threads.submit(() -> groupCommit.call(() -> {
                insert(run + "-first");
                inFirst.countDown();
                release.await(30, TimeUnit.SECONDS);
                return "first";
            }));
            assertThat(inFirst.await(30, TimeUnit.SECONDS)).isTrue();
            long transactionsBefore = groupCommit.transactions();
            var others = new ArrayList<Future<String>>();
            for (int i = 0; i < 10; i++) {
                String key = run + "-" + i;
                boolean fails = i == 4;
                others.add(threads.submit(() -> groupCommit.call(() -> {
                    insert(key);
                    if (fails) {
                        throw new IllegalStateException("write " + key + " refused");
                    }
                    return key;
                })));
            }
            while (groupCommit.queued() < 10) {
                Thread.sleep(5);
            }
            release.countDown();
            assertThat(first.get()).isEqualTo("first");
            for (int i = 0; i < 10; i++) {
                if (i == 4) {
                    int n = i;
                    assertThatThrownBy(() -> others.get(n).get()).hasRootCauseInstanceOf(IllegalStateException.class)
                            .hasRootCauseMessage("write " + run + "-4 refused");
                } else {
                    assertThat(others.get(i).get()).isEqualTo(run + "-" + i);
                }
            }
            // The ten queued together: one shared commit, rolled back by the refused one, then each alone.
            assertThat(groupCommit.transactions() - transactionsBefore).as("transactions of the ten").isEqualTo(1 + 10);
        }
        assertThat(keys(run)).as("every write but the refused one, once")
                .containsExactlyInAnyOrder(run + "-first", run + "-0", run + "-1", run + "-2", run + "-3", run + "-5", run + "-6",
                        run + "-7", run + "-8", run + "-9");
    }

    @Test
    void queuedWritesThatAllSucceedCommitOnce() throws Exception {
        String run = unique("gc");
        var inFirst = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> first = threads.submit(() -> groupCommit.call(() -> {
                inFirst.countDown();
                return release.await(30, TimeUnit.SECONDS);
            }));
            assertThat(inFirst.await(30, TimeUnit.SECONDS)).isTrue();
            long transactionsBefore = groupCommit.transactions();
            var others = new ArrayList<Future<String>>();
            for (int i = 0; i < 20; i++) {
                String key = run + "-" + i;
                others.add(threads.submit(() -> groupCommit.call(() -> {
                    insert(key);
                    return key;
                })));
            }
            while (groupCommit.queued() < 20) {
                Thread.sleep(5);
            }
            release.countDown();
            first.get();
            for (var f : others) {
                f.get();
            }
            assertThat(groupCommit.transactions() - transactionsBefore).as("one transaction for the twenty queued writes").isEqualTo(1);
        }
        assertThat(keys(run)).hasSize(20);
    }

    @Test
    void concurrentCreatesOfTheSameNamesGetOneWinnerEachAndTheLedgerCountsOnlyWhatExists() throws Exception {
        String pool = unique("pool");
        String node = unique("node");
        registerNode(node, pool, 64, 65536, "kvm-hardware", null).then().statusCode(201);
        String img = image();
        String prefix = unique("twin");
        int names = 12;
        int perName = 3;
        var barrier = new CyclicBarrier(names * perName);
        var calls = new ArrayList<Callable<Integer>>();
        for (int i = 0; i < names * perName; i++) {
            String name = prefix + "-" + (i % names);
            calls.add(() -> {
                barrier.await();
                return createVm(vmBody(name, img, 1, 256, pool, null)).statusCode();
            });
        }
        var statuses = new HashMap<Integer, Integer>();
        try (var threads = Executors.newFixedThreadPool(names * perName)) {
            for (var f : threads.invokeAll(calls)) {
                statuses.merge(f.get(), 1, Integer::sum);
            }
        }
        assertThat(statuses).as("one 201 per name, 409 for the others").containsOnlyKeys(201, 409)
                .containsEntry(201, names).containsEntry(409, names * (perName - 1));
        given().get("/v1/nodes/" + node).then().statusCode(200)
                .body("status.allocated.vcpus", org.hamcrest.Matchers.equalTo((float) names))
                .body("status.allocated.memoryMiB", org.hamcrest.Matchers.equalTo(names * 256));
    }

    private void insert(String key) throws SQLException {
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("INSERT INTO group_commit_probe (key) VALUES (?)")) {
            s.setString(1, key);
            s.executeUpdate();
        }
    }

    private List<String> keys(String run) throws SQLException {
        try (var c = dataSource.getConnection();
             var s = c.prepareStatement("SELECT key FROM group_commit_probe WHERE key LIKE ? ORDER BY key")) {
            s.setString(1, run + "-%");
            var keys = new ArrayList<String>();
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
            return keys;
        }
    }

    private void sql(String statement) throws SQLException {
        try (var c = dataSource.getConnection(); var s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
