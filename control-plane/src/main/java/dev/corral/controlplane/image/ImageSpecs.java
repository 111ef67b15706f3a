package dev.corral.controlplane.image;

import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Image;
import dev.corral.controlplane.store.ChangeNotifications;
import dev.corral.controlplane.store.NotifiedCache;
import dev.corral.controlplane.store.ResourceStore;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The specs of the Images that creates name, read once and kept: a VM or container create checks its image and works
 * out its disk from the spec, and at hundreds of creates a second naming the same few images a round trip and a JSON
 * parse each was about a tenth of a create's request thread (bench/scheduler/README.md). Every update or deletion of an
 * Image row, by any replica, drops it when PostgreSQL's notification arrives ({@link ChangeNotifications}); one
 * through this replica drops it as its transaction commits. An image that is not kept is read, so a new image is found
 * at once. Used only while the notifications are {@link ChangeNotifications#trusted() trusted}.
 */
@ApplicationScoped
public class ImageSpecs {

    private final ResourceStore store;
    private final ObjectMapper json;
    private final ChangeNotifications notifications;
    /** By {@code project/name}, the payload of the images' notifications. */
    private final NotifiedCache<Image.Spec> specs;

    ImageSpecs(ResourceStore store, ObjectMapper json, ChangeNotifications notifications) {
        this.store = store;
        this.json = json;
        this.notifications = notifications;
        this.specs = new NotifiedCache<>(notifications, ChangeNotifications.IMAGES);
    }

    /** The spec of Image {@code name} in {@code project}, or empty when there is none. */
    public Optional<Image.Spec> find(String project, String name) {
        String key = project + "/" + name;
        Image.Spec kept = specs.get(key);
        if (kept != null) {
            return Optional.of(kept);
        }
        long generation = specs.generation();
        var found = store.find(Image.KIND, project, name).map(o -> json.convertValue(o.spec(), Image.Spec.class));
        found.ifPresent(spec -> specs.put(key, spec, generation));
        return found;
    }

    /** Inside the transaction that updates or deletes the image: the view drops it when that commits. */
    void changing(String project, String name) {
        notifications.changedAfterCommit(ChangeNotifications.IMAGES, project + "/" + name);
    }
}
