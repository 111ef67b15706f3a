package dev.corral.controlplane.lifecycle;

import java.io.IOException;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * What the status consumer reads of a lifecycle event (asyncapi.yaml, {@code LifecycleEvent}): the fields that move a
 * workload's status, nothing of its size or devices (those are the meter's).
 *
 * @param action the last part of the event's type ({@code starting} of {@code corral.vm.starting})
 * @param time when it happened, or null when the event does not say
 */
public record StatusEvent(String id, String action, Instant time, String kind, String uid, String name, String project,
        String node, long sequence, Long generation, String reason, String message, String accelerator, Integer exitCode) {

    /**
     * The event in {@code json} (UTF-8), read in one pass straight off the record's bytes, its time without a general
     * formatter ({@link EventTime}): building the whole event with data binding was most of the status consumer's
     * time once its database work came a poll at a time (bench/usage). Fields it does not know are skipped, as the
     * contract asks of consumers; a field of the wrong type is an error, not a coercion.
     *
     * @throws IllegalArgumentException when it is not a lifecycle event: no type, no data with a kind and a uid, or a
     *         sequence below 1
     */
    public static StatusEvent parse(JsonFactory factory, byte[] json) throws IOException {
        String id = null, type = null, kind = null, uid = null, name = null, project = null, node = null, reason = null,
                message = null, accelerator = null;
        Instant time = null;
        long sequence = 0;
        Long generation = null;
        Integer exitCode = null;
        try (JsonParser p = factory.createParser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT, "the event");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id" -> id = text(p, value, field);
                    case "type" -> type = text(p, value, field);
                    case "time" -> time = value == JsonToken.VALUE_NULL ? null
                            : EventTime.parse(textChars(p, value, field), p.getTextOffset(), p.getTextLength());
                    case "data" -> {
                        expect(value, JsonToken.START_OBJECT, "data");
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String dataField = p.currentName();
                            JsonToken v = p.nextToken();
                            switch (dataField) {
                                case "kind" -> kind = text(p, v, dataField);
                                case "uid" -> uid = text(p, v, dataField);
                                case "name" -> name = text(p, v, dataField);
                                case "project" -> project = text(p, v, dataField);
                                case "node" -> node = text(p, v, dataField);
                                case "reason" -> reason = text(p, v, dataField);
                                case "message" -> message = text(p, v, dataField);
                                case "accelerator" -> accelerator = text(p, v, dataField);
                                case "sequence" -> sequence = integer(p, v, dataField);
                                case "generation" -> generation = v == JsonToken.VALUE_NULL ? null : integer(p, v, dataField);
                                case "exitCode" -> exitCode = v == JsonToken.VALUE_NULL ? null : Math.toIntExact(integer(p, v, dataField));
                                default -> p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("exitCode out of range");
        }
        if (type == null || kind == null || uid == null || sequence < 1) {
            throw new IllegalArgumentException("a lifecycle event needs a type and data with a kind, a uid and a sequence of at least 1");
        }
        return new StatusEvent(id, type.substring(type.lastIndexOf('.') + 1), time, kind, uid, name, project, node, sequence,
                generation, reason, message, accelerator, exitCode);
    }

    private static String text(JsonParser p, JsonToken value, String field) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException(field + " must be a string, not " + value);
        }
        return p.getText();
    }

    private static char[] textChars(JsonParser p, JsonToken value, String field) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException(field + " must be a string, not " + value);
        }
        return p.getTextCharacters();
    }

    private static long integer(JsonParser p, JsonToken value, String field) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT) {
            throw new IllegalArgumentException(field + " must be an integer, not " + value);
        }
        return p.getLongValue();
    }

    private static void expect(JsonToken actual, JsonToken expected, String what) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " must be an object, not " + actual);
        }
    }
}
