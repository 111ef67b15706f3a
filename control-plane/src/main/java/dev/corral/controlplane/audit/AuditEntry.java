package dev.corral.controlplane.audit;

import java.net.URI;
import java.util.Map;

import dev.corral.api.AuditRecord;

/**
 * What the recorder knows of a request once it was answered, before it is stored: the object is read from the path
 * (a create's from the Location it answered with), never from the body.
 */
record AuditEntry(String requestId, String method, String path, AuditRecord.Target object, int status, AuditRecord.Identity identity) {

    /** The path's collection, its kind, and whether objects of it live in a project. */
    private record Collection(String kind, boolean projectScoped) {
    }

    private static final Map<String, Collection> COLLECTIONS = Map.of(
            "vms", new Collection("VM", true),
            "containers", new Collection("Container", true),
            "images", new Collection("Image", true),
            "blobs", new Collection("Blob", false),
            "nodes", new Collection("Node", false),
            "projects", new Collection("Project", false),
            "instancetypes", new Collection("InstanceType", false),
            "tokens", new Collection("Token", false));

    /**
     * The object {@code /v1/<collection>/<name>...} names; for a create ({@code /v1/<collection>}), the one its
     * Location names. {@code project} is the query's (for the project-scoped kinds; {@code default} when absent).
     */
    static AuditRecord.Target target(String path, String project, String location) {
        String[] parts = path.split("/", -1);
        if (parts.length < 3 || !parts[1].equals("v1")) {
            return null;
        }
        var collection = COLLECTIONS.get(parts[2]);
        if (collection == null) {
            return null;
        }
        String name = parts.length > 3 && !parts[3].isEmpty() ? parts[3] : null;
        if (name == null && location != null) {
            try {
                String[] created = URI.create(location).getPath().split("/", -1);
                if (created.length == 4 && created[2].equals(parts[2])) {
                    name = created[3];
                }
            } catch (IllegalArgumentException notAUri) {
                // no name, then
            }
        }
        String scope = collection.projectScoped() ? (project == null || project.isBlank() ? "default" : project) : null;
        return new AuditRecord.Target(collection.kind(), name, scope);
    }
}
