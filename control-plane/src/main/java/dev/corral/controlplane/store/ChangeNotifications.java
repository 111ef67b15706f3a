package dev.corral.controlplane.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.TransactionSynchronizationRegistry;
import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * PostgreSQL's notifications of changes to what replicas keep in memory ({@link NotifiedCache}): triggers
 * (V13__change_notifications.sql) notify {@link #TOKENS} with a token's hash when its row is updated or deleted,
 * {@link #IMAGES} with {@code project/name} when an Image is, and {@link #PROJECTS} with a project's name, whichever
 * replica (or an operator by hand) made the change. One thread of this replica listens on a connection of its own and
 * hands each notification to the caches that subscribed to its channel, milliseconds after the change commits.
 *
 * <p>A cache may answer from memory only while {@link #trusted()}: while the listener holds its connection and has
 * checked it within the last {@value #TRUST_MILLIS} ms (it does every {@value #PING_MILLIS} ms), so a connection
 * that died without a word (a partition) leaves a change unseen for at most that long. Whenever the listener
 * (re)connects, every subscriber is reset: it may have missed changes. A cache that reads a row takes
 * {@link #generation()} before the read and keeps what it read only if no notification arrived meanwhile, so
 * something read before a change is never kept after it.
 */
@ApplicationScoped
public class ChangeNotifications {

    public static final String TOKENS = "corral_token";
    public static final String IMAGES = "corral_image";
    public static final String PROJECTS = "corral_project";
    private static final Set<String> CHANNELS = Set.of(TOKENS, IMAGES, PROJECTS);
    static final long PING_MILLIS = 1000;
    public static final long TRUST_MILLIS = 2500;

    private static final Logger LOG = Logger.getLogger(ChangeNotifications.class);

    /** What a cache does with the notifications of its channel. */
    public interface Subscriber {
        /** The row named by {@code payload} changed or went. */
        void changed(String payload);

        /** Changes may have been missed: forget everything. */
        void reset();
    }

    private record Subscription(String channel, Subscriber subscriber) {
    }

    private final DataSource dataSource;
    private final TransactionSynchronizationRegistry transactions;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean listening;
    private volatile long trustedUntil;
    private volatile boolean running;
    private volatile Connection connection;
    private Thread listener;

    ChangeNotifications(DataSource dataSource, TransactionSynchronizationRegistry transactions) {
        this.dataSource = dataSource;
        this.transactions = transactions;
    }

    /** Hands {@code subscriber} every notification of {@code channel} (one of the constants above) from now on. */
    public void subscribe(String channel, Subscriber subscriber) {
        if (!CHANNELS.contains(channel)) {
            throw new IllegalArgumentException("no trigger notifies channel " + channel);
        }
        subscriptions.add(new Subscription(channel, subscriber));
    }

    /** Whether a cache may answer from memory now. */
    public boolean trusted() {
        return listening && System.nanoTime() - trustedUntil < 0;
    }

    /** Moves on every notification and every reset: what a cache compares before keeping what it read. */
    public long generation() {
        return generation.get();
    }

    synchronized void start(@Observes StartupEvent start) {
        if (listener == null) {
            running = true;
            listener = Thread.ofPlatform().daemon().name("corral-change-listener").start(this::listen);
        }
    }

    synchronized void stop(@Observes ShutdownEvent stop) {
        running = false;
        listening = false;
        var c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
        if (listener != null) {
            listener.interrupt();
        }
    }

    private void listen() {
        long backoff = 100;
        while (running) {
            try (Connection c = dataSource.getConnection(); var s = c.createStatement()) {
                connection = c;
                c.setAutoCommit(true);
                for (String channel : CHANNELS) {
                    s.execute("LISTEN " + channel);
                }
                var pg = c.unwrap(PGConnection.class);
                reset(); // what was kept before these LISTENs may have missed a change
                long pinged = System.nanoTime();
                trustedUntil = pinged + TRUST_MILLIS * 1_000_000;
                listening = true;
                backoff = 100;
                while (running) {
                    deliver(pg.getNotifications((int) PING_MILLIS / 2));
                    if (System.nanoTime() - pinged >= PING_MILLIS * 1_000_000) {
                        long sent = System.nanoTime();
                        s.execute("SELECT 1");
                        // Every change committed before this answer was notified with it or before it.
                        deliver(pg.getNotifications());
                        pinged = sent;
                        trustedUntil = sent + TRUST_MILLIS * 1_000_000;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                reset();
                if (running) {
                    LOG.warnf("Caches of tokens, images and projects off until the database is back (requests read them there): %s",
                            e.getMessage());
                }
            } finally {
                listening = false;
                connection = null;
            }
            if (running) {
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException e) {
                    return;
                }
                backoff = Math.min(backoff * 2, 5000);
            }
        }
    }

    /**
     * A change this replica made and committed, handed to the subscribers of {@code channel} at once, as its
     * notification will be again when it arrives: the next request through this replica already sees it.
     */
    public void changedHere(String channel, String payload) {
        generation.incrementAndGet();
        for (var s : subscriptions) {
            if (s.channel.equals(channel)) {
                s.subscriber.changed(payload);
            }
        }
    }

    /**
     * {@link #changedHere}, for a change made inside the current transaction: once it commits (right away when there
     * is none), so that no read between the change and its commit keeps the old row.
     */
    public void changedAfterCommit(String channel, String payload) {
        AfterCommit.run(transactions, () -> changedHere(channel, payload));
    }

    private void deliver(PGNotification[] changes) {
        if (changes == null) {
            return;
        }
        for (PGNotification n : changes) {
            changedHere(n.getName(), n.getParameter());
        }
    }

    private void reset() {
        generation.incrementAndGet();
        for (var s : subscriptions) {
            s.subscriber.reset();
        }
    }
}
