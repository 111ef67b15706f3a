package dev.corral.controlplane.store;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Rows a replica read and keeps, each dropped when the database notifies a change of it on {@code channel}
 * ({@link ChangeNotifications}: by any replica, milliseconds after it commits; by this one at once through
 * {@link ChangeNotifications#changedHere}). Answers from memory only while the notifications are
 * {@link ChangeNotifications#trusted() trusted}; keeps what a read found only if no notification arrived while it
 * read, so a value read before a change is never kept after it. Bounded: a value is read again after
 * {@value #MAX_AGE_MILLIS} ms whatever happened, and past {@value #MAX_ENTRIES} values the cache starts again empty.
 *
 * <p>Use: {@code var v = cache.get(key); if (v == null) { long g = cache.generation(); v = read(); cache.put(key, v, g); }}
 */
public final class NotifiedCache<V> {

    private record Entry<V>(V value, long readAt) {
    }

    /** A value is read again after this long even when nothing changed (a bound, not a mechanism). */
    static final long MAX_AGE_MILLIS = 60_000;
    /** At most this many values; past it the cache starts again empty. */
    static final int MAX_ENTRIES = 10_000;

    private final ChangeNotifications notifications;
    private final ConcurrentHashMap<String, Entry<V>> entries = new ConcurrentHashMap<>();

    /** A cache of the rows whose changes are notified on {@code channel}, keyed by the notifications' payload. */
    public NotifiedCache(ChangeNotifications notifications, String channel) {
        this.notifications = notifications;
        notifications.subscribe(channel, new ChangeNotifications.Subscriber() {
            @Override
            public void changed(String key) {
                entries.remove(key);
            }

            @Override
            public void reset() {
                entries.clear();
            }
        });
    }

    /** The value kept for {@code key} when it may be used now, else null: read it, then {@link #put} it. */
    public V get(String key) {
        if (!notifications.trusted()) {
            return null;
        }
        Entry<V> e = entries.get(key);
        if (e == null) {
            return null;
        }
        if (System.nanoTime() - e.readAt > MAX_AGE_MILLIS * 1_000_000) {
            entries.remove(key, e);
            return null;
        }
        return e.value;
    }

    /** Taken before a read: what {@link #put} compares. */
    public long generation() {
        return notifications.generation();
    }

    /** Keeps {@code value}, read after {@code generation} was taken, unless a change was notified since. */
    public void put(String key, V value, long generation) {
        if (!notifications.trusted()) {
            return;
        }
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        var entry = new Entry<>(value, System.nanoTime());
        entries.put(key, entry);
        if (notifications.generation() != generation) {
            entries.remove(key, entry); // a change arrived while the row was read: it may have been this one
        }
    }

    /** Forgets {@code key} (a value that turned out stale, say an expired token's). */
    public void remove(String key) {
        entries.remove(key);
    }
}
