package dev.corral.api;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One observed aspect of an object, like Kubernetes conditions: {@code Scheduled=False} with reason
 * {@code Unschedulable} and a message that says why.
 *
 * @param status {@code True}, {@code False} or {@code Unknown}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Condition(String type, String status, String reason, String message, Instant lastTransitionTime) {
}
