package dev.corral.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import dev.corral.engine.devices.legacy.ConsoleSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconciler against a scripted runtime (the engine itself is exercised by the end-to-end tests): which steps it
 * takes, which events it publishes, with which sequence numbers, across stops, restarts, deletion and an agent
 * restart.
 */
class ReconcilerTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    @TempDir
    Path state;

    private final List<JsonNode> published = new CopyOnWriteArrayList<>();
    private final ScriptedRuntime runtime = new ScriptedRuntime();
    /** The journal refuses the stopping events (full: Kafka away for long). */
    private volatile boolean refuseStoppingEvents;
    private Reconciler reconciler;
    private Consoles consoles;

    private Reconciler open() {
        var ledger = WorkloadLedger.open(state.resolve("workloads"), JSON);
        var events = new LifecycleEvents((key, value) -> {
            if (refuseStoppingEvents && value.contains("corral.vm.stopping")) {
                throw new IllegalStateException("the event journal is full");
            }
            try {
                published.add(JSON.readTree(value));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, ledger, JSON, "node-a", Map.of("0000:3b:00.0", "gpu"), Clock.systemUTC());
        consoles = new Consoles(state.resolve("consoles"), 4096);
        reconciler = new Reconciler(ledger, events, runtime, consoles, 2);
        return reconciler;
    }

    @AfterEach
    void close() throws Exception {
        if (reconciler != null) {
            reconciler.close();
        }
        if (consoles != null) {
            consoles.close();
        }
    }

    private static Desired vm(boolean running, String token) {
        return new Desired("VM", "u1", "web-1", "default", 1, 2, 512, "ticker", null, running, token, List.of("0000:3b:00.0"), 0);
    }

    /** The agent process dies (nothing is stopped: the ledger on disk says running) and a new one starts. */
    private Reconciler agentDiesAndStartsAgain(Reconciler dead) throws InterruptedException {
        dead.close();
        consoles.close();
        published.clear();
        return open();
    }

    /** A reconciler that has started the VM and seen it run. */
    private Reconciler running() throws InterruptedException {
        var r = open();
        r.replaceAll(List.of(vm(true, "")));
        await("running", () -> types().contains("running/Started"));
        return r;
    }

    private List<String> types() {
        return published.stream().map(e -> e.path("type").asText().substring("corral.vm.".length()) + "/"
                + e.path("data").path("reason").asText("")).toList();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void vmIsStartedStoppedStartedAndDeletedWithGaplessSequences() throws Exception {
        var r = running();
        r.upsert(vm(false, ""));
        await("stopped", () -> types().contains("stopped/StopRequested"));
        r.upsert(vm(true, ""));
        await("running again", () -> types().stream().filter(t -> t.equals("running/Started")).count() == 2);
        r.remove("u1");
        await("deleted", () -> types().contains("deleted/Deleted"));

        assertThat(types()).containsExactly("starting/", "running/Started", "stopping/StopRequested", "stopped/StopRequested",
                "starting/", "running/Started", "stopped/Deleted", "deleted/Deleted");
        assertThat(runtime.deleted).as("its disks are removed once, after its last run was closed").containsExactly("u1 after 2 closed");
        var sequences = published.stream().map(e -> e.path("data").path("sequence").asLong()).toList();
        assertThat(sequences).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        var first = published.getFirst();
        assertThat(first.path("id").asText()).isEqualTo("u1-1");
        assertThat(first.path("subject").asText()).isEqualTo("vm/web-1");
        assertThat(first.path("source").asText()).isEqualTo("/corral/nodes/node-a");
        assertThat(first.path("data").path("devices").get(0).path("class").asText()).isEqualTo("gpu");
        assertThat(first.path("data").path("vcpus").asDouble()).isEqualTo(2.0);
        assertThat(published.stream().map(e -> e.path("data").path("accelerator").asText("-")).toList())
                .as("only running events say what runs the VM").containsExactly("-", "kvm", "-", "-", "-", "kvm", "-", "-");
        assertThat(runtime.closed).as("every started VM's resources were freed").isEqualTo(2);
    }

    @Test
    void aStopGivesTheGuestItsGraceAndAShutdownAsAskedReadsAsTheAskedStop() throws Exception {
        var r = running();
        r.upsert(new Desired("VM", "u1", "web-1", "default", 2, 2, 512, "ticker", null, false, "", List.of("0000:3b:00.0"), 0, 45));
        await("stopped", () -> types().contains("stopped/StopRequested"));
        assertThat(runtime.stopGraces).containsExactly(Duration.ofSeconds(45));
        assertThat(published.getLast().path("data").path("message").asText()).isEqualTo("the guest shut down when asked");
    }

    @Test
    void aGuestThatIgnoresTheShutdownIsReportedForcedOff() throws Exception {
        var r = running();
        runtime.guestIgnoresShutdown = true;
        r.upsert(vm(false, ""));
        await("stopped", () -> types().contains("stopped/StopForced"));
        assertThat(runtime.stopGraces).containsExactly(Desired.DEFAULT_STOP_GRACE);
        // Stopped as asked all the same: wanted running again, it starts.
        r.upsert(vm(true, ""));
        await("running again", () -> types().stream().filter(t -> t.equals("running/Started")).count() == 2);
    }

    @Test
    void aForcedStopDuringAGracefulOneForcesTheWorkloadOffAtOnce() throws Exception {
        var r = running();
        runtime.gracefulStopHangs = true;
        r.upsert(new Desired("VM", "u1", "web-1", "default", 2, 2, 512, "ticker", null, false, "", List.of("0000:3b:00.0"), 0, 3600));
        await("stopping", () -> types().contains("stopping/StopRequested"));
        // corral stop --force: the control plane's spec.stopRequest now says force, a grace of 0.
        r.upsert(new Desired("VM", "u1", "web-1", "default", 3, 2, 512, "ticker", null, false, "", List.of("0000:3b:00.0"), 0, 0));
        await("stopped", () -> types().contains("stopped/StopRequested"));
        assertThat(runtime.stopGraces).containsExactly(Duration.ofHours(1), Duration.ZERO);
        // Wanted running again, it starts as after any stop.
        r.upsert(vm(true, ""));
        await("running again", () -> types().stream().filter(t -> t.equals("running/Started")).count() == 2);
    }

    @Test
    void aGuestThatResetsAtOnceInALoopRebootsMoreAndMoreSlowly() throws Exception {
        runtime.resetsAtOnce = true;
        var r = open();
        r.replaceAll(List.of(vm(true, "")));
        // Three quick reboots start again at once, then 1 s, 2 s, 4 s... between them.
        await("the free reboots", () -> runtime.starts >= 1 + Reconciler.FREE_QUICK_REBOOTS);
        Thread.sleep(2500);
        assertThat(runtime.starts).as("starts in the first 2.5 s after the free reboots").isBetween(1 + Reconciler.FREE_QUICK_REBOOTS, 7);
        assertThat(types()).contains("stopped/GuestReset");
        // A restart asked for is no reboot: it starts at once.
        runtime.resetsAtOnce = false;
        int before = runtime.starts;
        r.upsert(vm(true, "restart-1"));
        await("the asked restart", () -> runtime.starts > before && types().getLast().equals("running/Started"));
    }

    @Test
    void aStopGoesOnWhenItsStoppingEventCannotBeJournalled() throws Exception {
        var r = running();
        refuseStoppingEvents = true;
        r.upsert(vm(false, ""));
        await("stopped", () -> types().contains("stopped/StopRequested"));
        assertThat(runtime.stopGraces).containsExactly(Desired.DEFAULT_STOP_GRACE);
    }

    @Test
    void anErrorFromAStartFailsThatStartAndKeepsEveryWorker() throws Exception {
        var r = open();
        // More workloads whose start throws an Error than the reconciler has workers (2): none of them may stay.
        var bad = new java.util.ArrayList<Desired>();
        for (String uid : List.of("bad-1", "bad-2", "bad-3")) {
            runtime.errorOnStart.add(uid);
            bad.add(new Desired("VM", uid, "vm-" + uid, "default", 1, 1, 512, "ticker", null, true, "", List.of(), 0));
        }
        r.replaceAll(bad);
        await("three failed", () -> types().stream().filter(t -> t.equals("failed/EngineFailed")).count() == 3);
        assertThat(published.stream().filter(e -> e.path("type").asText().endsWith("failed")).map(e -> e.path("data").path("message").asText()))
                .allMatch(m -> m.contains("Required array size too large"));
        r.upsert(vm(true, ""));
        await("a good one still runs", () -> types().contains("running/Started"));
    }

    @Test
    void deletingARunningWorkloadForcesItOffAtOnce() throws Exception {
        var r = running();
        r.remove("u1");
        await("deleted", () -> types().contains("deleted/Deleted"));
        assertThat(runtime.stopGraces).containsExactly(Duration.ZERO);
    }

    @Test
    void consoleInputReachesTheRunningWorkloadAndIsDisconnectedWhenItEnds() throws Exception {
        var r = running();
        await("input connected", () -> consoles.input("u1").isPresent());
        assertThat(consoles.input("u1").orElseThrow().send("ls\r".getBytes())).isEqualTo(3);
        assertThat(runtime.typed.get("u1").toString()).isEqualTo("ls\r");
        var told = new CountDownLatch(1);
        assertThat(consoles.onInputGone("u1", told::countDown)).isTrue();

        runtime.endOnItsOwn("u1", new WorkloadRuntime.Ended(false, "GuestPoweredOff", "bye"));

        assertThat(told.await(5, TimeUnit.SECONDS)).as("attached users hear that it ended").isTrue();
        assertThat(consoles.input("u1")).isEmpty();
        assertThat(consoles.onInputGone("u1", () -> { })).as("too late to attach").isFalse();

        r.upsert(vm(true, "2026-11-25T05:00:00Z")); // restarted: its new run takes input again
        await("input connected again", () -> consoles.input("u1").isPresent());
        consoles.input("u1").orElseThrow().send("x".getBytes());
        assertThat(runtime.typed.get("u1").toString()).isEqualTo("ls\rx");
    }

    @Test
    void guestThatPowersOffStaysStoppedUntilANewRestartTokenArrives() throws Exception {
        var r = running();
        runtime.endOnItsOwn("u1", new WorkloadRuntime.Ended(false, "GuestPoweredOff", "bye"));
        await("stopped", () -> types().contains("stopped/GuestPoweredOff"));
        r.resync();
        Thread.sleep(200);
        assertThat(runtime.starts).as("not restarted without the control plane's decision").isEqualTo(1);
        r.upsert(vm(true, "2026-11-25T05:00:00Z"));
        await("restarted", () -> runtime.starts == 2);
        await("running again", () -> types().stream().filter(t -> t.equals("running/Started")).count() == 2);
        assertThat(runtime.closed).isEqualTo(1);
    }

    @Test
    void restartTokenOnARunningVmStopsItThenStartsIt() throws Exception {
        var r = running();
        r.upsert(vm(true, "2026-11-25T05:00:00Z"));
        await("running again", () -> types().stream().filter(t -> t.equals("running/Started")).count() == 2);
        assertThat(types()).containsExactly("starting/", "running/Started", "stopping/RestartRequested", "stopped/RestartRequested",
                "starting/", "running/Started");
    }

    @Test
    void everyEventCarriesTheVmsDiskSpace() throws Exception {
        var r = open();
        var withDisks = new Desired("VM", "u1", "web-1", "default", 1, 2, 512, "debian", null, true, "", List.of(), 0, 30,
                new Desired.Disks(10, List.of(new Desired.Volume("data", 21))), null, 31L);
        r.replaceAll(List.of(withDisks));
        await("running", () -> types().contains("running/Started"));
        r.publishExists();
        r.remove("u1");
        await("deleted", () -> types().contains("deleted/Deleted"));
        assertThat(types()).containsExactly("starting/", "running/Started", "exists/", "stopped/Deleted", "deleted/Deleted");
        assertThat(published).allSatisfy(e -> assertThat(e.path("data").path("diskGiB").asLong()).isEqualTo(31));
    }

    @Test
    void aVmWithoutDisksSaysNothingOfDiskSpace() throws Exception {
        running();
        assertThat(published).allSatisfy(e -> assertThat(e.path("data").has("diskGiB")).isFalse());
    }

    @Test
    void startThatFailsIsReportedWithItsReason() throws Exception {
        runtime.failNextStart = new WorkloadRuntime.StartException("ImageUnavailable", "no such blob");
        var r = open();
        r.replaceAll(List.of(vm(true, "")));
        await("failed", () -> types().contains("failed/ImageUnavailable"));
        assertThat(published.getLast().path("data").path("message").asText()).isEqualTo("no such blob");
    }

    @Test
    void vmsOfAnAgentThatDiedAreReportedLostAndSequencesContinue() throws Exception {
        var r = running();
        var again = agentDiesAndStartsAgain(r);
        again.replaceAll(List.of(vm(true, "")));
        await("lost", () -> types().contains("failed/AgentRestarted"));
        assertThat(published.getFirst().path("data").path("sequence").asLong()).as("sequence continues after the restart").isEqualTo(3);
        Thread.sleep(200);
        assertThat(runtime.starts).as("the restart policy, not the agent, decides").isEqualTo(1);
        // The control plane's restart policy asks for a restart.
        again.upsert(vm(true, "2026-11-25T05:00:00Z"));
        await("running", () -> types().contains("running/Started"));
    }

    @Test
    void workloadsThatOutliveTheirAgentAreAdoptedNotReportedLostAndTheirEndIsStillReported() throws Exception {
        var r = running();
        runtime.survives = true;
        var again = agentDiesAndStartsAgain(r);
        assertThat(again.adoptSurvivors()).isEqualTo(1);
        again.replaceAll(List.of(vm(true, "")));
        await("adopted", () -> types().contains("running/Adopted"));
        Thread.sleep(200);
        assertThat(types()).as("running again, not lost and restarted").containsExactly("running/Adopted");
        assertThat(runtime.starts).isEqualTo(1);
        assertThat(published.getFirst().path("data").path("sequence").asLong()).as("sequence continues").isEqualTo(3);

        runtime.endOnItsOwn("u1", new WorkloadRuntime.Ended(true, "Error", "the container's process exited with code 5", 5));
        await("failed", () -> types().contains("failed/Error"));
        assertThat(published.getLast().path("data").path("exitCode").asInt()).isEqualTo(5);
        again.remove("u1");
        await("deleted", () -> types().contains("deleted/Deleted"));
        assertThat(runtime.closed).as("the adopted run's resources were freed").isEqualTo(1);
    }

    @Test
    void nothingIsDeletedBeforeTheFirstFullList() throws Exception {
        var r = running();
        var again = agentDiesAndStartsAgain(r);
        // A DELETED watch event cannot arrive before the list; if one did, it must not tear anything down before the list says what is placed here.
        again.remove("u1");
        Thread.sleep(200);
        assertThat(published).isEmpty();
    }

    @Test
    void agentShutdownStopsItsVmsGracefullyWithinItsGraceAndReportsThemFailedSoThatTheRestartPolicyBringsThemBack() throws Exception {
        var r = running();
        r.close();
        assertThat(r.stopAll(Duration.ofSeconds(5))).isEqualTo(1);
        assertThat(runtime.stopGraces).as("asked to shut down, within the agent's bound rather than its own 30 s")
                .containsExactly(Duration.ofSeconds(5));
        assertThat(types().getLast()).as("journalled by the time stopAll returns").isEqualTo("failed/AgentStopped");
    }

    @Test
    void existsIsAnnouncedForRunningWorkloadsOnly() throws Exception {
        var r = running();
        r.publishExists();
        assertThat(types().getLast()).isEqualTo("exists/");
        r.upsert(vm(false, ""));
        await("stopped", () -> types().contains("stopped/StopRequested"));
        int before = published.size();
        r.publishExists();
        assertThat(published).hasSize(before);
    }

    @Test
    void startThatBreaksUnexpectedlyIsReportedFailedNotLeftStarting() throws Exception {
        runtime.breakNextStart = new IllegalStateException("no memory for the guest");
        var r = open();
        r.replaceAll(List.of(vm(true, "")));
        await("failed", () -> types().contains("failed/EngineFailed"));
        assertThat(published.getLast().path("data").path("message").asText()).contains("no memory for the guest");
    }

    @Test
    void sequencesStartAboveWhatTheControlPlaneAppliedWhenTheLedgerWasLost() throws Exception {
        var r = open();
        var known = new Desired("VM", "u1", "web-1", "default", 4, 2, 512, "ticker", null, true, "", List.of(), 7);
        r.replaceAll(List.of(known));
        await("running", () -> types().contains("running/Started"));
        assertThat(published.getFirst().path("data").path("sequence").asLong()).isEqualTo(8);
        assertThat(published.getFirst().path("data").path("generation").asLong()).isEqualTo(4);
    }

    @Test
    void stopReportsTheGenerationThatAskedForIt() throws Exception {
        var r = running();
        r.upsert(new Desired("VM", "u1", "web-1", "default", 2, 2, 512, "ticker", null, false, "", List.of("0000:3b:00.0"), 2));
        await("stopped", () -> types().contains("stopped/StopRequested"));
        assertThat(published.getLast().path("data").path("generation").asLong()).isEqualTo(2);
    }

    /**
     * Starts instantly; stops when asked (a graceful stop as the guest's power-off, a forced one as the engine's stop);
     * can be made to end or to fail to start, or to ignore graceful stops.
     */
    private static final class ScriptedRuntime implements WorkloadRuntime {
        final List<Duration> stopGraces = new CopyOnWriteArrayList<>();
        volatile boolean guestIgnoresShutdown;
        /** Its workloads outlive the agent process (as containers do) and can be adopted. */
        volatile boolean survives;
        volatile int starts;
        volatile int closed;
        volatile StartException failNextStart;
        volatile RuntimeException breakNextStart;
        /** Workloads whose start throws an OutOfMemoryError, as reading a kernel over 2 GiB into one array did. */
        final java.util.Set<String> errorOnStart = ConcurrentHashMap.newKeySet();
        /** A graceful stop goes on until a forced one (a guest that ignores the shutdown, within a long grace). */
        volatile boolean gracefulStopHangs;
        /** Every start's guest resets its machine at once (a reboot loop). */
        volatile boolean resetsAtOnce;
        final Map<String, Listener> listeners = new ConcurrentHashMap<>();
        final Map<String, java.io.ByteArrayOutputStream> typed = new ConcurrentHashMap<>();
        /** Workloads whose disks were removed, with how many runs were closed by then. */
        final List<String> deleted = new CopyOnWriteArrayList<>();

        @Override
        public void delete(String uid) {
            deleted.add(uid + " after " + closed + " closed");
        }

        @Override
        public Handle start(Desired desired, ConsoleSink console, Listener listener) throws StartException {
            if (failNextStart != null) {
                var e = failNextStart;
                failNextStart = null;
                throw e;
            }
            if (errorOnStart.contains(desired.uid())) {
                throw new OutOfMemoryError("Required array size too large");
            }
            if (breakNextStart != null) {
                var e = breakNextStart;
                breakNextStart = null;
                throw e;
            }
            starts++;
            var handle = handle(desired, listener);
            boolean resets = resetsAtOnce;
            Thread.ofPlatform().start(() -> {
                listener.started("kvm");
                if (resets) {
                    listener.finished(new Ended(false, "GuestReset", "the guest reset the machine"));
                }
            });
            return handle;
        }

        @Override
        public java.util.Optional<Handle> adopt(Desired desired, ConsoleSink console, Listener listener) {
            return survives ? java.util.Optional.of(handle(desired, listener)) : java.util.Optional.empty();
        }

        private Handle handle(Desired desired, Listener listener) {
            listeners.put(desired.uid(), listener);
            var finished = new CountDownLatch(1);
            return new Handle() {
                @Override
                public void requestStop(Duration grace) {
                    stopGraces.add(grace);
                    if (gracefulStopHangs && !grace.isZero()) {
                        return;
                    }
                    Ended ended;
                    if (grace.isZero()) {
                        ended = new Ended(false, "StopRequested", "stopped");
                    } else if (guestIgnoresShutdown) {
                        ended = new Ended(false, "StopForced", "forced off after " + grace.toSeconds() + " s");
                    } else {
                        ended = new Ended(false, "GuestPoweredOff", "the guest powered off (exit code 0)");
                    }
                    Thread.ofPlatform().start(() -> {
                        listener.finished(ended);
                        finished.countDown();
                    });
                }

                @Override
                public boolean awaitFinished(Duration timeout) throws InterruptedException {
                    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
                }

                @Override
                public int sendConsoleInput(byte[] bytes) {
                    typed.computeIfAbsent(desired.uid(), u -> new java.io.ByteArrayOutputStream()).writeBytes(bytes);
                    return bytes.length;
                }

                @Override
                public void close() {
                    closed++;
                }
            };
        }

        void endOnItsOwn(String uid, Ended ended) {
            listeners.get(uid).finished(ended);
        }
    }

}
