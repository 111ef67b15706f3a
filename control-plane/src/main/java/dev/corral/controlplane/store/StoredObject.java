package dev.corral.controlplane.store;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One row of the generic object table, as read. Never leaves the control plane: services map it to api records. */
public record StoredObject(String kind, String project, String name, UUID uid, Map<String, String> labels,
        JsonNode spec, JsonNode status, long generation, long resourceVersion, Instant creationTimestamp, String node) {

    public String etag() {
        return "\"" + resourceVersion + "\"";
    }

    /** The status as its api record; a status that does not decode is a store error naming the object. */
    public <T> T statusAs(ObjectMapper json, Class<T> type) {
        try {
            return json.treeToValue(status, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("decoding the status of " + kind + " " + name, e);
        }
    }
}
