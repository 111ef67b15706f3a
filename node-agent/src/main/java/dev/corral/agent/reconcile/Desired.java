package dev.corral.agent.reconcile;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the control plane wants of one workload placed on this node, distilled from its assignment.
 *
 * @param generation    the spec generation (reported back as observedGeneration)
 * @param running       {@code spec.runState} is Running
 * @param restartToken  {@code spec.restartRequestedAt}, or "" when never set: a new value asks for a (re)start
 * @param devices       the host PCI addresses the workload holds
 * @param appliedSequence {@code status.eventSequence}: the last event the control plane applied; this agent's next
 *                        event must have a higher sequence even if its own record of them was lost
 * @param stopGraceSeconds how long a stop gives the guest to shut down before forcing it off ({@code spec.stopRequest}'s
 *                      timeout, else {@code spec.stopTimeoutSeconds}); zero forces at once; negative: the default
 */
public record Desired(String kind, String uid, String name, String project, long generation, double vcpus, long memoryMiB,
        String image, String cmdline, boolean running, String restartToken, List<String> devices, long appliedSequence,
        long stopGraceSeconds) {

    /** The API's default {@code spec.stopTimeoutSeconds} for VMs. */
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(30);

    public Desired {
        Objects.requireNonNull(uid, "uid");
        restartToken = restartToken == null ? "" : restartToken;
        devices = devices == null ? List.of() : List.copyOf(devices);
        stopGraceSeconds = stopGraceSeconds < 0 ? DEFAULT_STOP_GRACE.toSeconds() : stopGraceSeconds;
    }

    /** With the default stop grace. */
    public Desired(String kind, String uid, String name, String project, long generation, double vcpus, long memoryMiB,
            String image, String cmdline, boolean running, String restartToken, List<String> devices, long appliedSequence) {
        this(kind, uid, name, project, generation, vcpus, memoryMiB, image, cmdline, running, restartToken, devices, appliedSequence,
                DEFAULT_STOP_GRACE.toSeconds());
    }

    /** How long a stop gives the guest to shut down before forcing it off. */
    public Duration stopGrace() {
        return Duration.ofSeconds(stopGraceSeconds);
    }

    private static final Pattern FILE_SAFE_UID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** The uid, checked fit to name the agent's files for the workload (nothing that could leave their directory). */
    public static String fileSafe(String uid) {
        if (!FILE_SAFE_UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("not a workload uid: " + uid);
        }
        return uid;
    }

    /** {@code vm/web-1}: how events and logs name it. */
    public String subject() {
        return kind.toLowerCase() + "/" + name;
    }
}
