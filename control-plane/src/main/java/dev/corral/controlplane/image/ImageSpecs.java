package dev.corral.controlplane.image;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Image;
import dev.corral.controlplane.store.ChangeNotifications;
import dev.corral.controlplane.store.ResourceStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * The specs of the Images that creates name, read once and kept: a VM or container create checks its image and works
 * out its disk from the spec, and at hundreds of creates a second naming the same few images a round trip and a JSON
 * parse each was a fifth of a create's request thread (bench/scheduler/README.md). Every update or deletion of an
 * Image row, by any replica, drops it when PostgreSQL's notification arrives ({@link ChangeNotifications}); one
 * through this replica drops it as its transaction commits. An image that is not kept is read, so a new image is found
 * at once. Used only while the notifications are {@link ChangeNotifications#trusted() trusted}.
 */
@ApplicationScoped
public class ImageSpecs {

    /** A spec is read again after this long even when nothing changed (a bound, not a mechanism). */
    static final long MAX_AGE_MILLIS = 60_000;
    /** At most this many specs; past it the view starts again empty. */
    static final int MAX_ENTRIES = 10_000;

    private record Entry(Image.Spec spec, long readAt) {
    }

    private final ResourceStore store;
    private final ObjectMapper json;
    private final ChangeNotifications notifications;
    private final TransactionSynchronizationRegistry transactions;
    /** By {@code project/name}, the payload of the images' notifications. */
    private final ConcurrentHashMap<String, Entry> specs = new ConcurrentHashMap<>();

    ImageSpecs(ResourceStore store, ObjectMapper json, ChangeNotifications notifications, TransactionSynchronizationRegistry transactions) {
        this.store = store;
        this.json = json;
        this.notifications = notifications;
        this.transactions = transactions;
        notifications.subscribe(ChangeNotifications.IMAGES, new ChangeNotifications.Subscriber() {
            @Override
            public void changed(String key) {
                specs.remove(key);
            }

            @Override
            public void reset() {
                specs.clear();
            }
        });
    }

    /** The spec of Image {@code name} in {@code project}, or empty when there is none. */
    public Optional<Image.Spec> find(String project, String name) {
        String key = project + "/" + name;
        if (notifications.trusted()) {
            Entry e = specs.get(key);
            if (e != null && System.nanoTime() - e.readAt <= MAX_AGE_MILLIS * 1_000_000) {
                return Optional.of(e.spec);
            }
        }
        long generation = notifications.generation();
        var found = store.find(Image.KIND, project, name).map(o -> json.convertValue(o.spec(), Image.Spec.class));
        if (found.isPresent() && notifications.trusted()) {
            if (specs.size() >= MAX_ENTRIES) {
                specs.clear();
            }
            var entry = new Entry(found.get(), System.nanoTime());
            specs.put(key, entry);
            if (notifications.generation() != generation) {
                specs.remove(key, entry); // a change arrived while the row was read: it may have been this one
            }
        }
        return found;
    }

    /** Inside the transaction that updates or deletes the image: the view drops it when that commits. */
    void changing(String project, String name) {
        String key = project + "/" + name;
        if (transactions.getTransactionStatus() == Status.STATUS_NO_TRANSACTION) {
            notifications.changedHere(ChangeNotifications.IMAGES, key);
            return;
        }
        transactions.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
            }

            @Override
            public void afterCompletion(int status) {
                notifications.changedHere(ChangeNotifications.IMAGES, key);
            }
        });
    }
}
