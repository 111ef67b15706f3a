package dev.corral.controlplane.usage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.corral.controlplane.lifecycle.EventTime;

/**
 * Reads the fields the meter needs straight off a lifecycle record's JSON, in one pass, without building the
 * whole event: parsing was most of the meter's time (bench/usage). It reads the record's bytes as Kafka delivers
 * them (no String of the whole record) and the time without a general formatter ({@link EventTime}). Fields it does
 * not know are skipped, as the contract asks of consumers.
 */
final class LifecycleRecordParser {

    private final JsonFactory factory;

    LifecycleRecordParser(JsonFactory factory) {
        this.factory = factory;
    }

    /** The event in {@code json}; throws IllegalArgumentException when it is not a lifecycle event. */
    UsageEvent parse(String json) throws IOException {
        return parse(json.getBytes(StandardCharsets.UTF_8));
    }

    /** The event in {@code json} (UTF-8); throws IllegalArgumentException when it is not a lifecycle event. */
    UsageEvent parse(byte[] json) throws IOException {
        String id = null, type = null, kind = null, uid = null, name = null, project = null;
        Instant time = null;
        long sequence = 0;
        double vcpus = 0;
        long memoryMiB = 0;
        long diskGiB = 0;
        Map<String, Integer> devices = new TreeMap<>();
        try (JsonParser p = factory.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id" -> id = p.getValueAsString();
                    case "type" -> type = p.getValueAsString();
                    case "time" -> time = value == JsonToken.VALUE_STRING
                            ? EventTime.parse(p.getTextCharacters(), p.getTextOffset(), p.getTextLength())
                            : null;
                    case "data" -> {
                        expect(value, JsonToken.START_OBJECT);
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String dataField = p.currentName();
                            JsonToken v = p.nextToken();
                            switch (dataField) {
                                case "kind" -> kind = p.getValueAsString();
                                case "uid" -> uid = p.getValueAsString();
                                case "name" -> name = p.getValueAsString();
                                case "project" -> project = p.getValueAsString();
                                case "sequence" -> sequence = p.getValueAsLong();
                                case "vcpus" -> vcpus = p.getValueAsDouble();
                                case "memoryMiB" -> memoryMiB = p.getValueAsLong();
                                case "diskGiB" -> diskGiB = p.getValueAsLong();
                                case "devices" -> readDevices(p, v, devices);
                                default -> p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        if (id == null || type == null || time == null || kind == null || uid == null || name == null || project == null
                || sequence < 1) {
            throw new IllegalArgumentException("a lifecycle event needs id, type, time and data with kind, uid, name, project "
                    + "and a sequence of at least 1");
        }
        return new UsageEvent(id, type.substring(type.lastIndexOf('.') + 1), uid, kind, name, project, sequence, time, vcpus,
                memoryMiB, devices, diskGiB);
    }

    private static void readDevices(JsonParser p, JsonToken value, Map<String, Integer> devices) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            p.skipChildren();
            return;
        }
        while (p.nextToken() == JsonToken.START_OBJECT) {
            String cls = "unclassified";
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                if (f.equals("class") && p.currentToken() == JsonToken.VALUE_STRING) {
                    cls = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            devices.merge(cls, 1, Integer::sum);
        }
    }

    private static void expect(JsonToken actual, JsonToken expected) {
        if (actual != expected) {
            throw new IllegalArgumentException("expected " + expected + ", found " + actual);
        }
    }
}
