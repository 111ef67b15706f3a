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
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var held = holdCommitter(threads);
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
            held.release();
            for (var f : others) {
                f.get();
            }
            assertThat(groupCommit.transactions() - transactionsBefore).as("one transaction for the twenty queued writes").isEqualTo(1);
        }
        assertThat(keys(run)).hasSize(20);
    }

    /**
     * {@link GroupCommit#submit} (the audit's way in, from an event loop): nothing waits, each answer completes once its
     * shared commit did; a refused piece sends the others back alone, and only its own answer fails.
     */
    @Test
    void submittedPiecesAreAnsweredOnceTheirSharedCommitCommitted() throws Exception {
        String run = unique("gcs");
        GroupCommit.Batch<String, String> probe = keys -> {
            for (String key : keys) {
                insert(key);
                if (key.endsWith("-refused")) {
                    throw new IllegalStateException(key + " refused");
                }
            }
            return keys.stream().map(k -> "stored " + k).toList();
        };
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var held = holdCommitter(threads);
            var answers = new ArrayList<java.util.concurrent.CompletableFuture<String>>();
            for (int i = 0; i < 6; i++) {
                answers.add(submit(probe, run + "-a" + i));
            }
            assertThat(answers).as("queued behind the held commit").noneMatch(java.util.concurrent.CompletableFuture::isDone);
            held.release();
            for (int i = 0; i < 6; i++) {
                assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("stored " + run + "-a" + i);
            }
            assertThat(transactions("group_commit_probe WHERE key LIKE ?", run + "-a%")).as("one shared commit for the six").isEqualTo(1);

            held = holdCommitter(threads);
            var mixed = new ArrayList<java.util.concurrent.CompletableFuture<String>>();
            for (int i = 0; i < 4; i++) {
                mixed.add(submit(probe, run + "-b" + i + (i == 2 ? "-refused" : "")));
            }
            held.release();
            for (int i = 0; i < 4; i++) {
                if (i == 2) {
                    int n = i;
                    assertThatThrownBy(() -> mixed.get(n).get(30, TimeUnit.SECONDS)).hasRootCauseMessage(run + "-b2-refused refused");
                } else {
                    assertThat(mixed.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("stored " + run + "-b" + i);
                }
            }
        }
        assertThat(keys(run)).as("every piece but the refused one, once").containsExactlyInAnyOrder(run + "-a0", run + "-a1", run + "-a2",
                run + "-a3", run + "-a4", run + "-a5", run + "-b0", run + "-b1", run + "-b3");
    }

    /** {@link GroupCommit#submit}'s answer as a future; also checks it is told on the committer's thread. */
    private <I, R> java.util.concurrent.CompletableFuture<R> submit(GroupCommit.Batch<I, R> batch, I input) {
        var answer = new java.util.concurrent.CompletableFuture<R>();
        groupCommit.submit(batch, input, (result, failure) -> {
            if (!Thread.currentThread().getName().equals("corral-group-commit")) {
                answer.completeExceptionally(new AssertionError("told on " + Thread.currentThread().getName()));
            } else if (failure != null) {
                answer.completeExceptionally(failure);
            } else {
                answer.complete(result);
            }
        });
        return answer;
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

    /**
     * Creates queued together are written together (one transaction, set-based), and each gets what it would have
     * had alone: placed where the view said, the ledger, events and watch log as for one; a name taken in the batch
     * sends every one back to run alone, and the taken one alone gets its 409.
     */
    @Test
    void vmCreatesQueuedTogetherAreWrittenTogetherAndAFailingOneSendsThemBackAlone() throws Exception {
        String pool = unique("pool");
        for (int n = 0; n < 3; n++) {
            registerNode(pool + "-n" + n, pool, 4, 8192, "kvm-hardware", null).then().statusCode(201);
        }
        String img = image();
        String together = unique("together");
        var statuses = createQueuedTogether(8, i -> vmBody(together + "-" + i, img, 1, 512, pool, null));
        assertThat(statuses).as("eight creates queued behind one commit").containsOnly(201);
        assertThat(transactionsOf(together)).as("transactions that wrote the eight").isEqualTo(1);
        for (int i = 0; i < 8; i++) {
            given().get("/v1/vms/" + together + "-" + i).then().statusCode(200).body("status.phase", org.hamcrest.Matchers.equalTo("Scheduled"));
            given().get("/v1/events?involvedObject=vm/" + together + "-" + i).then().statusCode(200)
                    .body("items.reason", org.hamcrest.Matchers.contains("Created", "Scheduled"));
        }
        assertThat(allocated(pool, "vcpus_used")).as("vCPUs the pool's nodes hold").isEqualTo(8.0);

        // The same name twice among eight: the shared commit rolls back, each runs alone, one of the two gets a 409.
        String twice = unique("twice");
        var mixed = createQueuedTogether(8, i -> vmBody(twice + "-" + (i == 7 ? 0 : i), img, 1, 512, pool, null));
        assertThat(mixed).as("seven names, one of them twice").containsExactlyInAnyOrder(201, 201, 201, 201, 201, 201, 201, 409);
        assertThat(transactionsOf(twice)).as("transactions that wrote the seven, each alone").isEqualTo(7);
        assertThat(allocated(pool, "vcpus_used")).as("vCPUs held: only what exists").isEqualTo(15.0);
    }

    /** A sum over a quota sends the creates queued together back alone: the ones that fit alone are created. */
    @Test
    void createsQueuedTogetherOverTheQuotaGetEachTheirOwnAnswer() throws Exception {
        String project = unique("gcq");
        Api.json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201);
        Api.json().body("{\"instances\": 3}").put("/v1/projects/" + project + "/quota").then().statusCode(200);
        String sha = given().contentType("application/octet-stream").body(("kernel of " + project).getBytes())
                .post("/v1/blobs").then().statusCode(201).extract().path("sha256");
        String img = unique("img");
        Api.json().body("{\"metadata\": {\"name\": \"%s\"}, \"spec\": {\"kernel\": {\"sha256\": \"%s\"}}}".formatted(img, sha))
                .post("/v1/images?project=" + project).then().statusCode(201);
        String prefix = unique("q");
        var statuses = createQueuedTogether(5, i -> vmBody(prefix + "-" + i, img, 1, 256, unique("nowhere"), null), "?project=" + project);
        assertThat(statuses).containsExactlyInAnyOrder(201, 201, 201, 403, 403);
        given().get("/v1/projects/" + project + "/quota").then().statusCode(200).body("used.instances", org.hamcrest.Matchers.equalTo(3));
    }

    /**
     * Placements of one shared commit take their capacity in one statement, a booking per node: a node whose
     * bookings no longer fit all together (another replica took room since the view was read) takes none of them,
     * and those workloads are left to place again; nothing is double-booked.
     */
    @Test
    void aNodeWhoseBookingsNoLongerFitTogetherTakesNoneOfThem() throws Exception {
        String pool = unique("pool");
        String node = pool + "-n";
        registerNode(node, pool, 4, 1024, "kvm-hardware", null).then().statusCode(201);
        var four = new ArrayList<dev.corral.controlplane.store.StoredObject>();
        for (int i = 0; i < 4; i++) {
            four.add(draft(pool));
        }
        snapshots.invalidate();
        snapshots.current();
        long viewRead = System.nanoTime();
        // Another replica placed 512 MiB on the node after this one read its view (memory is not overcommitted).
        sql("UPDATE node_capacity SET memory_mib_used = memory_mib_used + 512 WHERE node = '" + node + "'");
        var lost = io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> scheduler.placeAll(four));
        org.junit.jupiter.api.Assumptions.assumeTrue(System.nanoTime() - viewRead < 900_000_000L,
                "the view (reloaded after a second) was still the one read before the other replica's placement");
        assertThat(lost).as("four bookings of 256 MiB on a node with 512 MiB left").containsOnlyNulls().hasSize(4);
        assertThat(allocated(pool, "memory_mib_used")).as("the node took nothing").isEqualTo(512.0);
        // The view was dropped: planned again, two fit, two do not.
        var again = io.quarkus.narayana.jta.QuarkusTransaction.requiringNew().call(() -> scheduler.placeAll(four));
        assertThat(again.stream().filter(java.util.Objects::nonNull).map(dev.corral.controlplane.scheduling.Scheduler.Placement::node))
                .containsExactly(node, node);
        assertThat(allocated(pool, "memory_mib_used")).isEqualTo(1024.0);
    }

    @Inject
    dev.corral.controlplane.scheduling.Scheduler scheduler;

    @Inject
    dev.corral.controlplane.scheduling.NodeSnapshots snapshots;

    @Inject
    com.fasterxml.jackson.databind.ObjectMapper mapper;

    private dev.corral.controlplane.store.StoredObject draft(String pool) throws Exception {
        return new dev.corral.controlplane.store.StoredObject("VM", "default", unique("draft"), java.util.UUID.randomUUID(), java.util.Map.of(),
                mapper.readTree("{\"nodeSelector\": {\"pool\": \"" + pool + "\"}}"),
                mapper.readTree("{\"phase\": \"Pending\", \"resources\": {\"vcpus\": 1, \"memoryMiB\": 256}}"), 1, 0, null, null);
    }

    private List<Integer> createQueuedTogether(int n, java.util.function.IntFunction<String> body) throws Exception {
        return createQueuedTogether(n, body, "");
    }

    /** Holds the committer in a transaction until {@code n} VM creates are queued behind it; their statuses. */
    private List<Integer> createQueuedTogether(int n, java.util.function.IntFunction<String> body, String query) throws Exception {
        // The audit rows of earlier requests are written through the committer too, just after their answers: let
        // them go first, so that what queues behind the held commit is these creates alone.
        for (long quietSince = System.nanoTime(); System.nanoTime() - quietSince < 300_000_000; Thread.sleep(10)) {
            if (groupCommit.queued() > 0) {
                quietSince = System.nanoTime();
            }
        }
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            var held = holdCommitter(threads);
            var creates = new ArrayList<Future<Integer>>();
            for (int i = 0; i < n; i++) {
                String b = body.apply(i);
                creates.add(threads.submit(() -> Api.json().body(b).post("/v1/vms" + query).statusCode()));
            }
            while (groupCommit.queued() < n) {
                Thread.sleep(5);
            }
            held.release();
            var statuses = new ArrayList<Integer>();
            for (var f : creates) {
                statuses.add(f.get());
            }
            return statuses;
        }
    }

    /** The committer held inside a transaction of its own until {@link Held#release}. */
    private record Held(CountDownLatch released, Future<?> piece) {
        void release() throws Exception {
            released.countDown();
            piece.get();
        }
    }

    private Held holdCommitter(java.util.concurrent.ExecutorService threads) throws InterruptedException {
        var inside = new CountDownLatch(1);
        var released = new CountDownLatch(1);
        Future<?> piece = threads.submit(() -> groupCommit.call(() -> {
            inside.countDown();
            return released.await(30, TimeUnit.SECONDS);
        }));
        assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
        return new Held(released, piece);
    }

    /** How many transactions wrote the VMs named {@code prefix-*}. */
    private int transactionsOf(String prefix) throws SQLException {
        return transactions("resource WHERE kind = 'VM' AND name LIKE ?", prefix + "-%");
    }

    /**
     * How many transactions wrote the rows of {@code rowsWhere} (a table and a condition on one pattern): rows of one
     * transaction share its xmin.
     */
    private int transactions(String rowsWhere, String pattern) throws SQLException {
        try (var c = dataSource.getConnection();
             var s = c.prepareStatement("SELECT count(DISTINCT xmin::text) FROM " + rowsWhere)) {
            s.setString(1, pattern);
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** The sum of a node_capacity column over the pool's nodes. */
    private double allocated(String pool, String column) throws SQLException {
        try (var c = dataSource.getConnection();
             var s = c.prepareStatement("SELECT coalesce(sum(" + column + "), 0) FROM node_capacity WHERE labels ->> 'pool' = ?")) {
            s.setString(1, pool);
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getDouble(1);
            }
        }
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
