package dev.corral.controlplane.auth;

import java.time.Instant;

import dev.corral.controlplane.store.ChangeNotifications;
import dev.corral.controlplane.store.NotifiedCache;

/**
 * The grants of tokens this replica read from the database, by the token's hash, so that a request whose token was
 * read a moment ago needs no round trip. Every change of a token row, by any replica or by hand (a revocation, a
 * project's deletion taking its tokens with it), drops that token's grant when PostgreSQL's notification of it
 * arrives ({@link ChangeNotifications}); a revocation through this replica drops it at once. An expiry needs no
 * notification: it is checked on every use.
 */
final class TokenCache {

    /** A grant with the token's expiry. */
    private record Entry(Grant grant, Instant expiresAt) {
    }

    private final ChangeNotifications notifications;
    private final NotifiedCache<Entry> byHash;

    TokenCache(ChangeNotifications notifications) {
        this.notifications = notifications;
        this.byHash = new NotifiedCache<>(notifications, ChangeNotifications.TOKENS);
    }

    /** The cached grant of the token with this hash, when the cache may be used and it has not expired; else null. */
    Grant find(String hash) {
        Entry e = byHash.get(hash);
        if (e == null) {
            return null;
        }
        if (e.expiresAt != null && !e.expiresAt.isAfter(Instant.now())) {
            byHash.remove(hash);
            return null; // read again: the database says why it no longer works
        }
        return e.grant;
    }

    /** Where a database read of a token starts: what {@link #put} needs to know nothing changed meanwhile. */
    long generation() {
        return byHash.generation();
    }

    /** Caches a grant read from the database when no change was notified since {@code generation} was taken. */
    void put(String hash, Grant grant, Instant expiresAt, long generation) {
        byHash.put(hash, new Entry(grant, expiresAt), generation);
    }

    /** The token with this hash was revoked through this replica: its grant goes now, before the notification. */
    void revokedHere(String hash) {
        notifications.changedHere(ChangeNotifications.TOKENS, hash);
    }
}
