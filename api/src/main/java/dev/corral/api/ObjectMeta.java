package dev.corral.api;

import java.time.Instant;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What every object carries. The user sets {@code name} and {@code labels}; the server sets the rest.
 *
 * @param project         the project the object belongs to; absent on cluster-scoped kinds (nodes, instance types)
 * @param generation      incremented on every change of {@code spec}
 * @param resourceVersion opaque; changes on every write. It is the object's ETag and the {@code If-Match} value
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectMeta(String name, String uid, String project, Map<String, String> labels,
        Instant creationTimestamp, Long generation, String resourceVersion) {

    public static ObjectMeta named(String name) {
        return new ObjectMeta(name, null, null, null, null, null, null);
    }

    public static ObjectMeta named(String name, Map<String, String> labels) {
        return new ObjectMeta(name, null, null, labels, null, null, null);
    }
}
