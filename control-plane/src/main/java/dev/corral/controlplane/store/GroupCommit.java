package dev.corral.controlplane.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Runs the writes of concurrent requests in shared transactions: one commit (one WAL flush, one hold of the
 * resourceVersion counter) for as many as were waiting, instead of one each.
 *
 * <p>Every write takes the counter row's lock until it commits (docs/0002), so writers commit one after another and
 * each pays a flush while the others wait. Here a single committer thread takes whatever work is queued (up to
 * {@link #MAX_BATCH}) and runs it, one piece after another, in one transaction. When any piece fails, or the commit
 * does, the whole transaction rolls back and every piece runs again alone in its own transaction, so each caller
 * gets exactly the outcome (result or exception) it would have had alone. A piece must therefore be pure database
 * work in the caller's transaction: nothing outside the database that a rollback would not undo, and no transaction
 * of its own. Callers block until their piece has committed, or failed alone ({@link #submit}: they are told then).
 *
 * <p>A piece that belongs to a {@link Batch} (a create without an Idempotency-Key, an audit row) does not run on its own in a
 * shared transaction: the committer hands all the pieces of that batch queued together to it at once, and it writes
 * them set-based, one statement for each kind of row, so a shared commit of 64 creates is a handful of round trips
 * instead of a few hundred. The other pieces run first, one after another, then each batch.
 */
@ApplicationScoped
public class GroupCommit {

    static final int MAX_BATCH = 64;
    private static final Logger LOG = Logger.getLogger(GroupCommit.class);

    private final boolean enabled;
    private final BlockingQueue<Piece<?>> queue = new LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicLong transactions = new java.util.concurrent.atomic.AtomicLong();
    private volatile Thread committer;
    private volatile boolean stopping;

    GroupCommit(@ConfigProperty(name = "corral.store.group-commit", defaultValue = "true") boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * Writes that many callers' pieces make together, set-based: {@link #runAll} gets the inputs of every piece of this
     * batch in one shared commit (or one, when a piece runs alone) and answers each, in order. Like any piece it is
     * database work only, and it fails as a whole: when it cannot give every piece the outcome that piece would have had
     * alone (a name taken, a limit passed), it throws, and each piece runs again alone, as a batch of one.
     */
    public interface Batch<I, R> {
        List<R> runAll(List<I> inputs) throws Exception;
    }

    /** Runs {@code work} in a transaction, possibly shared with other callers' work, and returns once it committed. */
    public <T> T call(Callable<T> work) {
        return call(new Piece<>(work, null, null));
    }

    /** Runs {@code input} through {@code batch}, together with the other pieces of that batch waiting to commit. */
    public <I, R> R call(Batch<I, R> batch, I input) {
        return call(new Piece<>(null, batch, input));
    }

    /**
     * Queues {@code input} for {@code batch} like {@link #call(Batch, Object)}, without waiting, for a caller that must
     * not block (an event loop): {@code then} gets the answer or the failure once the piece committed or failed alone.
     * It runs on the committer's thread, in the order the pieces were queued, so it must be quick (hand the answer on).
     * With group commit off, or while the control plane stops, the piece runs alone on a virtual thread.
     */
    public <I, R> void submit(Batch<I, R> batch, I input, java.util.function.BiConsumer<? super R, ? super Throwable> then) {
        var piece = new Piece<R>(null, batch, input);
        // Attached before the piece is queued, so that it always runs where the piece completes (never on this thread).
        piece.result.whenComplete(then);
        if (enabled && !stopping) {
            queue.add(piece);
            startCommitter();
            if (!stopping || !queue.remove(piece)) {
                return;
            }
        }
        Thread.ofVirtual().name("corral-commit-alone").start(() -> runAlone(piece));
    }

    private <T> T call(Piece<T> piece) {
        if (!enabled || stopping || Thread.currentThread() == committer) {
            return QuarkusTransaction.requiringNew().call(piece::alone);
        }
        queue.add(piece);
        startCommitter();
        if (stopping && queue.remove(piece)) {
            // Queued after the committer's last look: nobody else would run it.
            return QuarkusTransaction.requiringNew().call(piece::alone);
        }
        try {
            return piece.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for a commit", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new StoreException("a write failed", e.getCause());
        }
    }

    /** Transactions run so far, shared or alone, committed or rolled back. */
    public long transactions() {
        return transactions.get();
    }

    /** Writes waiting for the committer. */
    public int queued() {
        return queue.size();
    }

    private void startCommitter() {
        if (committer != null) {
            return;
        }
        synchronized (this) {
            if (committer == null) {
                committer = Thread.ofPlatform().name("corral-group-commit").daemon().start(this::commitLoop);
            }
        }
    }

    private void commitLoop() {
        var batch = new ArrayList<Piece<?>>(MAX_BATCH);
        while (!stopping) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                break;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            try {
                run(batch);
            } catch (Throwable t) {
                // run() completes every piece itself; this is only a last resort so that no caller waits forever.
                LOG.error("group commit failed unexpectedly", t);
                batch.forEach(p -> p.result.completeExceptionally(t));
            }
            batch.clear();
        }
        // Whatever is left when the control plane stops runs alone, on this thread.
        for (Piece<?> piece; (piece = queue.poll()) != null; ) {
            runAlone(piece);
        }
    }

    private void run(List<Piece<?>> batch) {
        if (batch.size() == 1) {
            runAlone(batch.getFirst());
            return;
        }
        Object[] results = new Object[batch.size()];
        transactions.incrementAndGet();
        try {
            QuarkusTransaction.requiringNew().call(() -> {
                var batched = new LinkedHashMap<Batch<?, ?>, List<Integer>>();
                for (int i = 0; i < batch.size(); i++) {
                    var piece = batch.get(i);
                    if (piece.batch == null) {
                        results[i] = piece.work.call();
                    } else {
                        batched.computeIfAbsent(piece.batch, b -> new ArrayList<>()).add(i);
                    }
                }
                for (var entry : batched.entrySet()) {
                    runAll(entry.getKey(), entry.getValue(), batch, results);
                }
                return null;
            });
        } catch (RuntimeException | Error e) {
            // One piece (or the commit) failed and took the others' writes with it: each runs again alone.
            LOG.debugf("a shared commit of %d writes rolled back (%s); running them one by one", batch.size(), e);
            batch.forEach(this::runAlone);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).complete(results[i]);
        }
    }

    @SuppressWarnings("unchecked")
    private static void runAll(Batch<?, ?> batch, List<Integer> positions, List<Piece<?>> pieces, Object[] results) throws Exception {
        var inputs = new ArrayList<Object>(positions.size());
        for (int i : positions) {
            inputs.add(pieces.get(i).input);
        }
        var answers = ((Batch<Object, ?>) batch).runAll(inputs);
        if (answers.size() != inputs.size()) {
            throw new IllegalStateException(batch + " answered " + answers.size() + " of " + inputs.size() + " pieces");
        }
        for (int k = 0; k < positions.size(); k++) {
            results[positions.get(k)] = answers.get(k);
        }
    }

    private void runAlone(Piece<?> piece) {
        transactions.incrementAndGet();
        piece.runAlone();
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        var thread = committer;
        if (thread != null) {
            thread.interrupt();
        }
    }

    /** Either plain work, or an input for a batch. */
    private static final class Piece<T> {
        final Callable<T> work;
        final Batch<?, ?> batch;
        final Object input;
        final CompletableFuture<T> result = new CompletableFuture<>();

        Piece(Callable<T> work, Batch<?, ?> batch, Object input) {
            this.work = work;
            this.batch = batch;
            this.input = input;
        }

        /** What the piece does in a transaction of its own. */
        @SuppressWarnings("unchecked")
        T alone() throws Exception {
            return work != null ? work.call() : ((Batch<Object, T>) batch).runAll(List.of(input)).getFirst();
        }

        @SuppressWarnings("unchecked")
        void complete(Object value) {
            result.complete((T) value);
        }

        void runAlone() {
            try {
                result.complete(QuarkusTransaction.requiringNew().call(this::alone));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }
    }
}
