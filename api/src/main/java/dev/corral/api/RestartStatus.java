package dev.corral.api;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How the control plane applies a workload's restartPolicy after it stopped without being asked.
 *
 * @param count         restarts in a row so far (back to 0 once it ran 10 minutes without stopping; restarts after its
 *                      node agent stopped or restarted, AgentStopped and AgentRestarted, are not counted)
 * @param nextAt        when the next restart is due (backoff), or null when none is planned
 * @param reason        why the last restart was needed or refused, e.g. {@code GuestCrashed}
 * @param lastStartedAt when the workload last became Running
 * @param generation    the spec generation the planned restart is for: a newer spec (its user started, stopped or
 *                      restarted it meanwhile) voids the plan
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RestartStatus(int count, Instant nextAt, String reason, Instant lastStartedAt, Long generation) {

    public RestartStatus(int count, Instant nextAt, String reason, Instant lastStartedAt) {
        this(count, nextAt, reason, lastStartedAt, null);
    }

    /** The same, with no restart planned. */
    public RestartStatus settled() {
        return new RestartStatus(count, null, reason, lastStartedAt, null);
    }
}
