package dev.corral.controlplane.store;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * Wakes this replica's watchers when one of its transactions committed a change. Changes written by other
 * replicas are found by the watchers' periodic poll.
 */
@ApplicationScoped
public class WatchNotifier {

    private final TransactionSynchronizationRegistry transactions;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long changes;

    WatchNotifier(TransactionSynchronizationRegistry transactions) {
        this.transactions = transactions;
    }

    /** Called inside a write transaction: watchers are woken once it commits. */
    void changed() {
        if (transactions.getTransactionStatus() != Status.STATUS_NO_TRANSACTION) {
            if (transactions.getResource(WatchNotifier.class) != null) {
                return; // one wake-up per transaction
            }
            transactions.putResource(WatchNotifier.class, Boolean.TRUE);
        }
        AfterCommit.run(transactions, this::signal);
    }

    private void signal() {
        lock.lock();
        try {
            changes++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The number of changes signalled so far; pass it to {@link #awaitChangeAfter}. */
    public long changes() {
        lock.lock();
        try {
            return changes;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until a change after {@code seen} is signalled, or the timeout passes. */
    public void awaitChangeAfter(long seen, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (changes == seen) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }
}
