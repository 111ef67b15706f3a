package dev.corral.controlplane.restart;

import java.time.Duration;
import java.time.Instant;

import dev.corral.api.RestartStatus;

/**
 * What to do when a workload stopped without being asked: the rule of {@code spec.restartPolicy}, with backoff.
 * Pure: no I/O, no clock.
 *
 * <ul>
 * <li>{@code Always}: restart after any stop or failure.</li>
 * <li>{@code OnFailure}: restart after a failure (event {@code failed}: the guest crashed, the VM failed, the
 * agent lost it), not after a clean power-off.</li>
 * <li>{@code Never}: leave it stopped.</li>
 * </ul>
 * Restarts in a row wait the first delay (10 s unless configured), then twice as long each time, up to 5 minutes; a workload that ran 10 minutes before it stopped
 * starts the count again, as Kubernetes does for crash loops. A workload its node lost ({@link #NODE_REASONS}: the
 * agent stopped or restarted under it) did not crash: it restarts at once and the count stays as it was, so that
 * restarting the local cloud three times does not make its VMs wait 10, 20, then 40 s.
 */
public final class RestartPolicy {

    static final Duration MAX_DELAY = Duration.ofMinutes(5);
    static final Duration HEALTHY_RUN = Duration.ofMinutes(10);
    /** Reasons for a stop that the node, not the workload, caused. */
    static final java.util.Set<String> NODE_REASONS = java.util.Set.of("AgentStopped", "AgentRestarted");

    /**
     * @param restart  whether to restart
     * @param next     the restart status to record (count, when, why)
     * @param message  a sentence for the workload's events
     */
    public record Decision(boolean restart, RestartStatus next, String message) {
    }

    private RestartPolicy() {
    }

    /**
     * @param policy   the spec's restartPolicy
     * @param action   the lifecycle event: {@code stopped} or {@code failed}
     * @param reason   the event's reason, e.g. {@code GuestPoweredOff}
     * @param previous what was recorded so far, or null
     * @param stoppedAt when the workload stopped
     * @param now      the control plane's time
     * @param firstDelay the wait before the first restart in a row
     */
    public static Decision decide(String policy, String action, String reason, RestartStatus previous, Instant stoppedAt, Instant now,
            Duration firstDelay) {
        boolean failed = action.equals("failed");
        String why = reason != null ? reason : failed ? "Failed" : "Stopped";
        Instant lastStarted = previous == null ? null : previous.lastStartedAt();
        int count = previous == null ? 0 : previous.count();
        if (lastStarted != null && !Duration.between(lastStarted, stoppedAt).minus(HEALTHY_RUN).isNegative()) {
            count = 0;
        }
        boolean restart = switch (policy == null ? "OnFailure" : policy) {
            case "Always" -> true;
            case "OnFailure" -> failed;
            default -> false;
        };
        if (!restart) {
            String message = "Not restarted (" + why + "): restartPolicy is " + policy
                    + (policy != null && policy.equals("OnFailure") ? " and it stopped cleanly." : ".");
            return new Decision(false, new RestartStatus(count, null, why, lastStarted), message);
        }
        if (NODE_REASONS.contains(why)) {
            return new Decision(true, new RestartStatus(count, now, why, lastStarted), "Restarting at once after " + why
                    + " (its node agent stopped, not the workload; the crash backoff stays at " + count + ", restartPolicy " + policy + ").");
        }
        Duration delay = backoff(firstDelay, count);
        var next = new RestartStatus(count + 1, now.plus(delay), why, lastStarted);
        return new Decision(true, next, "Restarting in " + delay.toSeconds() + " s after " + why + " (restart " + (count + 1)
                + ", restartPolicy " + policy + ").");
    }

    static Duration backoff(Duration first, int restartsSoFar) {
        if (restartsSoFar >= 16) {
            return MAX_DELAY;
        }
        Duration d = first.multipliedBy(1L << restartsSoFar);
        return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
    }
}
