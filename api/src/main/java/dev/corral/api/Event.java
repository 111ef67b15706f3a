package dev.corral.api;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Something that happened to an object: {@code Scheduled}, {@code FailedScheduling}, {@code StopRequested}...
 * Repeats of the same reason and message are folded into one event with a count.
 *
 * @param type {@code Normal} or {@code Warning}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Event(String apiVersion, String kind, ObjectMeta metadata, ObjectReference involvedObject, String type,
        String reason, String message, int count, Instant firstTimestamp, Instant lastTimestamp, String source) {

    public static final String KIND = "Event";
}
