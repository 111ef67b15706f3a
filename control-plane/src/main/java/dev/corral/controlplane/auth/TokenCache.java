package dev.corral.controlplane.auth;

import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

import dev.corral.controlplane.store.ChangeNotifications;

/**
 * The grants of tokens this replica read from the database, so that a request whose token was read a moment ago
 * needs no round trip. Every change of a token row, by any replica or by hand (a revocation, a project's deletion
 * taking its tokens with it), drops that token's grant when PostgreSQL's notification of it arrives
 * ({@link ChangeNotifications}); a revocation through this replica drops it at once. Used only while the
 * notifications are {@link ChangeNotifications#trusted() trusted}; otherwise every request reads the database.
 */
final class TokenCache {

    /** A grant is read again after this long even when nothing changed (a bound, not a mechanism). */
    static final long MAX_AGE_MILLIS = 60_000;
    /** At most this many grants; past it the cache starts again empty. */
    static final int MAX_ENTRIES = 10_000;

    /** A grant with what decides whether it may still be used: the token's expiry and when it was read. */
    private record Entry(Grant grant, Instant expiresAt, long readAt) {
    }

    private final ChangeNotifications notifications;
    private final ConcurrentHashMap<String, Entry> byHash = new ConcurrentHashMap<>();

    TokenCache(ChangeNotifications notifications) {
        this.notifications = notifications;
        notifications.subscribe(ChangeNotifications.TOKENS, new ChangeNotifications.Subscriber() {
            @Override
            public void changed(String tokenId) {
                drop(tokenId);
            }

            @Override
            public void reset() {
                byHash.clear();
            }
        });
    }

    /** The cached grant of the token with this hash, when the cache may be used and it is still good; else null. */
    Grant find(String hash) {
        if (!notifications.trusted()) {
            return null;
        }
        Entry e = byHash.get(hash);
        if (e == null) {
            return null;
        }
        if (System.nanoTime() - e.readAt > MAX_AGE_MILLIS * 1_000_000
                || e.expiresAt != null && !e.expiresAt.isAfter(Instant.now())) {
            byHash.remove(hash, e);
            return null; // read again: the database says why it no longer works
        }
        return e.grant;
    }

    /** Where a database read of a token starts: what {@link #put} needs to know nothing changed meanwhile. */
    long generation() {
        return notifications.generation();
    }

    /** Caches a grant read from the database when no change was notified since {@code generation} was taken. */
    void put(String hash, Grant grant, Instant expiresAt, long generation) {
        if (!notifications.trusted()) {
            return;
        }
        if (byHash.size() >= MAX_ENTRIES) {
            byHash.clear();
        }
        var entry = new Entry(grant, expiresAt, System.nanoTime());
        byHash.put(hash, entry);
        if (notifications.generation() != generation) {
            byHash.remove(hash, entry); // a change arrived while the row was read: it may have been this one
        }
    }

    /** Token {@code id} was revoked through this replica: its grant goes now, before the notification comes back. */
    void revokedHere(String id) {
        notifications.changedHere(ChangeNotifications.TOKENS, id);
    }

    /** Drops the grant of token {@code id} (revoked, or its row changed or went). */
    private void drop(String id) {
        byHash.values().removeIf(e -> e.grant.tokenId().equals(id));
    }
}
