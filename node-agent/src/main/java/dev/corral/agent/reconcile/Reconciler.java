package dev.corral.agent.reconcile;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.corral.agent.reconcile.Observed.State;
import org.jboss.logging.Logger;

/**
 * Makes this node run what the control plane placed on it. Watch events and resyncs only record what is wanted and
 * queue the workload's key; workers take keys one at a time (never two workers on one key), ask {@link Planner}
 * for the next step and take it, and look again until there is nothing left to do. A step that fails is retried
 * with backoff. Every change of a workload's state is written to the {@link WorkloadLedger} and published as a
 * lifecycle event.
 */
public final class Reconciler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Reconciler.class);
    private static final Duration DELETE_STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final String AGENT_STOPPED = "AgentStopped";
    /** A run this short that ends in a reset counts as a quick reboot. */
    static final Duration QUICK_RUN = Duration.ofSeconds(10);
    /** Quick reboots in a row that start again at once; each one after waits twice as long as the last, up to MAX. */
    static final int FREE_QUICK_REBOOTS = 3;
    static final Duration MAX_REBOOT_DELAY = Duration.ofMinutes(1);

    private final WorkloadLedger ledger;
    private final LifecycleEvents events;
    private final WorkloadRuntime runtime;
    private final Consoles consoles;
    private final WorkQueue queue;
    private final Map<String, Desired> desired = new ConcurrentHashMap<>();
    private final Map<String, WorkloadRuntime.Handle> handles = new ConcurrentHashMap<>();
    /** Why a stop was asked for, until the workload reports that it ended. */
    private final Map<String, String> stopReasons = new ConcurrentHashMap<>();
    /** The grace of each stop asked of a workload's handle, until the workload reports that it ended. */
    private final Map<String, Duration> stopGraces = new ConcurrentHashMap<>();
    /** When each workload's current run started (System.nanoTime), for telling a quick reboot. */
    private final Map<String, Long> runStarts = new ConcurrentHashMap<>();
    /** Each workload's quick reboots in a row, and the time (System.nanoTime) before which its next may not start. */
    private final Map<String, Reboots> reboots = new ConcurrentHashMap<>();
    private final List<Thread> workers = new ArrayList<>();
    /** Until the first full list, a workload missing from {@link #desired} is unknown, not deleted. */
    private volatile boolean synced;
    /** The agent is shutting down: a start that completes now is stopped at once. */
    private volatile boolean closing;

    public Reconciler(WorkloadLedger ledger, LifecycleEvents events, WorkloadRuntime runtime, Consoles consoles, int workerCount) {
        this.ledger = ledger;
        this.events = events;
        this.runtime = runtime;
        this.consoles = consoles;
        this.queue = new WorkQueue(Duration.ofSeconds(1), Duration.ofMinutes(2));
        for (int i = 0; i < workerCount; i++) {
            workers.add(Thread.ofPlatform().daemon().name("corral-reconciler-" + i).start(this::work));
        }
    }

    /** The full set of what is placed here (a list): anything else this agent has is to be deleted. */
    public void replaceAll(Collection<Desired> all) {
        var listed = new HashMap<String, Desired>();
        all.forEach(d -> listed.put(d.uid(), d));
        // Never empty on the way: a worker looking at a key meanwhile must not take a listed workload for deleted.
        desired.putAll(listed);
        desired.keySet().retainAll(listed.keySet());
        synced = true;
        resync();
    }

    /** One workload placed here was added or changed. */
    public void upsert(Desired d) {
        desired.put(d.uid(), d);
        queue.add(d.uid());
    }

    /** One workload is no longer placed here. */
    public void remove(String uid) {
        desired.remove(uid);
        queue.add(uid);
    }

    /** Queues every workload again: the periodic resync that repairs whatever a missed event left behind. */
    public void resync() {
        var keys = new HashSet<>(desired.keySet());
        ledger.all().forEach(e -> keys.add(e.uid()));
        keys.forEach(queue::add);
    }

    /**
     * Takes over the workloads an earlier agent process left running that outlived it (containers: their supervisor
     * and runc run on without the agent): each is RUNNING again, not lost, and a {@code running} event with reason
     * Adopted says so (the usage meter counts one interval across it: a running workload seen running again is the
     * same interval). Call it once, before the first list of assignments; what is not taken over stays LOST and is
     * reported as before.
     *
     * @return how many it took over
     */
    public int adoptSurvivors() {
        int adopted = 0;
        for (var listed : ledger.all()) {
            var d = listed.desired();
            var o = listed.observed();
            if (d == null || o == null || o.state() != State.LOST) {
                continue;
            }
            // Under the ledger's lock, as the listener's callbacks: one that ended while no agent ran reports its end
            // only after it is recorded running again.
            synchronized (ledger) {
                var listener = new Listener(d.uid());
                var handle = runtime.adopt(d, consoles.open(d.uid()), listener);
                if (handle.isEmpty()) {
                    continue;
                }
                handles.put(d.uid(), handle.get());
                ledger.update(d.uid(), o.with(State.RUNNING, null));
                events.publish(d, "running", o.generation(), "Adopted",
                        "The " + d.kind() + " outlived the node agent process that started it; this one took it over.");
                listener.connectInput(handle.get());
                adopted++;
            }
        }
        return adopted;
    }

    /** Publishes {@code exists} for every running workload: lets consumers notice gaps. */
    public void publishExists() {
        for (var listed : ledger.all()) {
            try {
                // Under the ledger's lock, and looked up again: an exists after a stopped would say it runs.
                synchronized (ledger) {
                    var entry = ledger.get(listed.uid());
                    var o = entry.map(WorkloadLedger.Entry::observed).orElse(null);
                    if (o != null && o.state() == State.RUNNING && entry.get().desired() != null) {
                        events.publish(entry.get().desired(), "exists", o.generation(), null, null);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf(e, "announcing workload %s failed", listed.uid());
            }
        }
    }

    private void work() {
        while (true) {
            String key;
            try {
                var next = queue.take();
                if (next.isEmpty()) {
                    return;
                }
                key = next.get();
            } catch (InterruptedException e) {
                return;
            }
            try {
                reconcile(key);
                queue.forget(key);
            } catch (RuntimeException | Error e) {
                // An Error too (an OutOfMemoryError from one workload's step): a worker that died would leave every
                // workload it would have taken next waiting, and with all workers gone the node reconciles nothing.
                var delay = queue.addRateLimited(key);
                LOG.errorf(e, "reconciling workload %s failed; retrying in %d s", key, delay.toSeconds());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                queue.done(key);
            }
        }
    }

    /** Takes steps for one workload until the plan has none left. */
    void reconcile(String uid) throws InterruptedException {
        if (!synced) {
            return;
        }
        forceIfAsked(uid);
        for (int steps = 0; steps < 8; steps++) {
            releaseEnded(uid);
            var action = Planner.plan(desired.get(uid), ledger.observed(uid));
            if (action.isEmpty()) {
                return;
            }
            LOG.debugf("workload %s: %s", uid, action.get());
            if (!take(action.get())) {
                return; // the step goes on elsewhere (a stop in progress); its end queues the key again
            }
        }
    }

    /**
     * A forced stop asked for while a graceful one still runs ({@code corral stop --force} after a stop with a long
     * timeout, or a guest that ignores the shutdown): the workload is forced off now, not when the first stop's grace
     * runs out (up to an hour). The plan has no step for a STOPPING workload; this is the one thing that changes one.
     */
    private void forceIfAsked(String uid) {
        var wanted = desired.get(uid);
        var asked = stopGraces.get(uid);
        var handle = handles.get(uid);
        if (wanted == null || wanted.running() || !wanted.stopGrace().isZero() || asked == null || asked.isZero() || handle == null) {
            return;
        }
        var observed = ledger.observed(uid);
        if (observed == null || observed.state() != State.STOPPING) {
            return;
        }
        LOG.infof("%s %s: a forced stop was asked for during its graceful stop of %d s; forcing it off", wanted.kind(),
                wanted.name(), asked.toSeconds());
        stopGraces.put(uid, Duration.ZERO);
        handle.requestStop(Duration.ZERO);
    }

    /** Frees the engine resources of a workload that ended on its own. */
    private void releaseEnded(String uid) {
        var observed = ledger.observed(uid);
        var handle = handles.get(uid);
        if (handle != null && (observed == null || !observed.state().active())) {
            handles.remove(uid);
            handle.close();
        }
    }

    /** @return whether the workload's state is settled for now (so the plan may be asked again) */
    private boolean take(Action action) throws InterruptedException {
        return switch (action) {
            case Action.Start s -> start(s.desired());
            case Action.Stop s -> stop(s.uid(), s.reason());
            case Action.Delete d -> delete(d.uid());
            case Action.ReportLost l -> reportLost(l.desired());
        };
    }

    private boolean start(Desired d) {
        var before = ledger.observed(d.uid());
        if (before != null && Observed.GUEST_RESET.equals(before.reason()) && d.restartToken().equals(before.restartToken())) {
            var r = reboots.get(d.uid());
            long wait = r == null ? 0 : r.notBefore() - System.nanoTime();
            if (wait > 0) {
                queue.addAfter(d.uid(), Duration.ofNanos(wait));
                return false; // the key comes back when the reboot may start
            }
        } else {
            reboots.remove(d.uid()); // a start or restart asked for, not a reboot: the count starts again
        }
        runStarts.put(d.uid(), System.nanoTime());
        var starting = new Observed(d.uid(), State.STARTING, d.generation(), d.restartToken(), null);
        ledger.record(d, starting);
        ledger.raiseSequence(d.uid(), d.appliedSequence());
        try {
            events.publish(d, "starting", d.generation(), null, null);
            var listener = new Listener(d.uid());
            var handle = runtime.start(d, consoles.open(d.uid()), listener);
            handles.put(d.uid(), handle);
            listener.connectInput(handle);
            if (closing) {
                handle.requestStop(Duration.ZERO); // the agent began shutting down while this one started
            }
        } catch (WorkloadRuntime.StartException e) {
            failStart(d, starting, e.reason(), e.getMessage());
        } catch (RuntimeException | Error e) {
            // Whatever went wrong, the workload must not stay STARTING with nothing behind it.
            LOG.warnf(e, "starting %s %s failed", d.kind(), d.name());
            failStart(d, starting, "EngineFailed", "starting it failed: " + e);
        }
        return true;
    }

    private void failStart(Desired d, Observed starting, String reason, String message) {
        LOG.warnf("%s %s did not start: %s", d.kind(), d.name(), message);
        ledger.update(d.uid(), starting.with(State.FAILED, reason));
        events.publish(d, "failed", d.generation(), reason, message);
    }

    private boolean stop(String uid, String reason) {
        WorkloadRuntime.Handle stopping;
        Duration grace;
        RuntimeException unannounced = null;
        // Decided under the ledger's lock, as the listener's callbacks are: a guest that powers off right now is
        // either seen stopped here, or hears of this stop.
        synchronized (ledger) {
            var entry = ledger.get(uid).orElseThrow();
            var observed = entry.observed().atGeneration(currentGeneration(uid, entry.observed()));
            var handle = handles.get(uid);
            if (!observed.state().active() || handle == null) {
                // Nothing runs (it ended on its own, or its start never got going): record it stopped as asked.
                ledger.update(uid, observed.with(State.STOPPED, reason));
                events.publish(entry.desired(), "stopped", observed.generation(), reason, null);
                return true;
            }
            ledger.update(uid, observed.with(State.STOPPING, reason));
            stopReasons.put(uid, reason);
            stopping = handle;
            var wanted = desired.get(uid);
            grace = wanted != null ? wanted.stopGrace() : entry.desired().stopGrace();
            stopGraces.put(uid, grace);
            try {
                events.publish(entry.desired(), "stopping", observed.generation(), reason, null);
            } catch (RuntimeException e) {
                // The journal full (Kafka away for long) or the disk: the stop goes on all the same. Before, the
                // workload stayed STOPPING and running, and the plan has no step for a STOPPING one.
                unannounced = e;
            }
        }
        stopping.requestStop(grace);
        if (unannounced != null) {
            throw unannounced; // logged, and the key looked at again later
        }
        return false;
    }

    /** The spec generation the control plane wants now, else the one the workload was started with. */
    private long currentGeneration(String uid, Observed observed) {
        var d = desired.get(uid);
        return d != null ? d.generation() : observed.generation();
    }

    private boolean delete(String uid) throws InterruptedException {
        var handle = handles.remove(uid);
        if (handle != null) {
            stopReasons.put(uid, "Deleted");
            handle.requestStop(Duration.ZERO);
            if (!handle.awaitFinished(DELETE_STOP_TIMEOUT)) {
                LOG.warnf("workload %s did not stop within %d s of its deletion; freeing it anyway", uid, DELETE_STOP_TIMEOUT.toSeconds());
            }
            handle.close();
        }
        // After its run is closed, before the ledger forgets it: a removal that fails is retried by the next look.
        runtime.delete(uid);
        // Under the ledger's lock, as the listener's callbacks: a late callback sees the workload gone, never half gone.
        synchronized (ledger) {
            var entry = ledger.get(uid);
            if (entry.isPresent() && entry.get().desired() != null) {
                var observed = entry.get().observed();
                events.publish(entry.get().desired(), "deleted", observed == null ? 0 : observed.generation(), "Deleted", null);
            }
            ledger.remove(uid);
        }
        consoles.remove(uid);
        stopReasons.remove(uid);
        stopGraces.remove(uid);
        runStarts.remove(uid);
        reboots.remove(uid);
        return true;
    }

    private boolean reportLost(Desired d) {
        ledger.raiseSequence(d.uid(), d.appliedSequence());
        var observed = ledger.observed(d.uid()).atGeneration(d.generation());
        ledger.update(d.uid(), observed.with(State.FAILED, "AgentRestarted"));
        events.publish(ledger.get(d.uid()).orElseThrow().desired(), "failed", observed.generation(), "AgentRestarted",
                "The " + d.kind() + " ran in a node agent process that ended; it is not running.");
        return true;
    }

    /** Hears from a running workload; called on its own threads. */
    private final class Listener implements WorkloadRuntime.Listener {
        private final String uid;
        /** This run's console input, connected while it runs. Guarded by the ledger's lock. */
        private Consoles.Input input;
        private boolean over;

        Listener(String uid) {
            this.uid = uid;
        }

        /**
         * Lets users type into the console of the run that just started, unless it already ended: decided under the
         * ledger's lock, as {@link #finished} is, so an ended run's input is never left connected.
         */
        void connectInput(WorkloadRuntime.Handle handle) {
            synchronized (ledger) {
                if (!over) {
                    input = handle::sendConsoleInput;
                    consoles.connectInput(uid, input);
                }
            }
        }

        @Override
        public void started(String accelerator) {
            synchronized (ledger) {
                var entry = ledger.get(uid);
                if (entry.isEmpty() || entry.get().observed().state() != State.STARTING) {
                    return; // deleted or stopping meanwhile
                }
                var observed = entry.get().observed();
                ledger.update(uid, observed.with(State.RUNNING, null));
                events.publish(entry.get().desired(), "running", observed.generation(), "Started", null, accelerator);
            }
        }

        @Override
        public void finished(WorkloadRuntime.Ended ended) {
            try {
                synchronized (ledger) {
                    over = true;
                    if (input != null) {
                        consoles.disconnectInput(uid, input);
                    }
                    finishedLocked(ended);
                }
            } finally {
                queue.add(uid); // frees the engine's resources, whatever became of the event
            }
        }

        private void finishedLocked(WorkloadRuntime.Ended ended) {
            var entry = ledger.get(uid);
            if (entry.isEmpty()) {
                return;
            }
            String reason = ended.reason();
            String message = ended.message();
            String asked = stopReasons.remove(uid);
            stopGraces.remove(uid);
            if (asked == null && Observed.GUEST_RESET.equals(reason)) {
                rebooted(entry.get().desired());
            }
            if (asked != null && "StopRequested".equals(reason)) {
                reason = asked;
            } else if (asked != null && "GuestPoweredOff".equals(reason)) {
                // Asked to shut down, and it did: a stop as asked, not the guest's own decision.
                reason = asked;
                message = "the guest shut down when asked";
            }
            // Stopped because the agent shut down is not the guest's doing: a failure, so that the restart policy
            // (OnFailure included) brings it back once the agent is up again.
            boolean failed = ended.failed() || AGENT_STOPPED.equals(asked);
            var observed = entry.get().observed();
            ledger.update(uid, observed.with(failed ? State.FAILED : State.STOPPED, reason));
            if (AGENT_STOPPED.equals(asked)) {
                message = "The node agent shut down; the " + entry.get().desired().kind() + " ran inside it.";
            }
            events.publish(entry.get().desired(), failed ? "failed" : "stopped", observed.generation(), reason, message, null,
                    ended.exitCode());
        }
    }

    private record Reboots(int quickInARow, long notBefore) {
    }

    /**
     * The guest reset its machine: it is started again at once, as a PC reboots, unless it keeps doing so within
     * {@link #QUICK_RUN} of each start. After {@link #FREE_QUICK_REBOOTS} such reboots in a row, each waits twice as
     * long as the one before (1 s, 2 s, ... {@link #MAX_REBOOT_DELAY}): a guest that resets at once, in a loop, had
     * the agent rebuild it without pause (an image fetch, a disk opened, memory mapped and three events journalled
     * per round), filling the event journal for every workload of the node while Kafka is away.
     */
    private void rebooted(Desired d) {
        Long started = runStarts.get(d.uid());
        long now = System.nanoTime();
        boolean quick = started != null && now - started < QUICK_RUN.toNanos();
        var previous = reboots.get(d.uid());
        int inARow = quick ? (previous == null ? 0 : previous.quickInARow()) + 1 : 0;
        long delay = 0;
        if (inARow > FREE_QUICK_REBOOTS) {
            int doublings = Math.min(inARow - FREE_QUICK_REBOOTS - 1, 16);
            delay = Math.min(Duration.ofSeconds(1).toNanos() << doublings, MAX_REBOOT_DELAY.toNanos());
            LOG.infof("%s %s reset within %d s of its start %d times in a row; it boots again in %d s", d.kind(), d.name(),
                    QUICK_RUN.toSeconds(), inARow, Duration.ofNanos(delay).toSeconds());
        }
        reboots.put(d.uid(), new Reboots(inARow, now + delay));
    }

    @Override
    public void close() throws InterruptedException {
        queue.close();
        for (var w : workers) {
            w.join(5000);
        }
    }

    /**
     * Stops every running workload and waits for them (agent shutdown): each is asked to shut down and forced off
     * after {@code grace} (or its own stop grace, if shorter); their events are journalled when this returns.
     *
     * @return how many workloads it stopped
     */
    public int stopAll(Duration grace) throws InterruptedException {
        closing = true;
        for (var e : handles.entrySet()) {
            stopReasons.put(e.getKey(), AGENT_STOPPED);
            var wanted = desired.get(e.getKey());
            var own = wanted != null ? wanted.stopGrace() : grace;
            e.getValue().requestStop(own.compareTo(grace) < 0 ? own : grace);
        }
        // The grace, then a moment for a forced stop to take effect: bounded whatever the guests do.
        long deadline = System.nanoTime() + grace.plusSeconds(5).toNanos();
        for (var h : handles.values()) {
            h.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            h.close();
        }
        int stopped = handles.size();
        handles.clear();
        return stopped;
    }
}
