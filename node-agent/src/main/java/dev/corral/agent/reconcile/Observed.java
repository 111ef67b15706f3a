package dev.corral.agent.reconcile;

/**
 * What this agent has of one workload.
 *
 * @param restartToken the {@code spec.restartRequestedAt} the agent last acted on: the restart policy's and the
 *                     user's (re)start requests are new tokens
 * @param reason       why it is in this state (for STOPPED and FAILED: who stopped it)
 */
public record Observed(String uid, State state, long generation, String restartToken, String reason) {

    public enum State {
        /** The image is being fetched or the VM built. */
        STARTING,
        RUNNING,
        STOPPING,
        /**
         * Stopped: by request (reason StopRequested, RestartRequested, StopForced) or by the guest (GuestPoweredOff,
         * GuestReset).
         */
        STOPPED,
        /** Ended in failure: the guest crashed, the engine failed, the image was bad. */
        FAILED,
        /** A previous agent process ran it and this one does not have it: it died with that process. */
        LOST;

        public boolean active() {
            return this == STARTING || this == RUNNING || this == STOPPING;
        }
    }

    public static final String STOP_REQUESTED = "StopRequested";
    /** Asked to stop, the guest did not shut down within its grace and was forced off. */
    public static final String STOP_FORCED = "StopForced";
    /** The guest reset its machine (a reboot): started again at once. */
    public static final String GUEST_RESET = "GuestReset";

    public Observed with(State state, String reason) {
        return new Observed(uid, state, generation, restartToken, reason);
    }

    /** The same, acting on spec generation {@code g} (what the next event reports as observedGeneration). */
    public Observed atGeneration(long g) {
        return new Observed(uid, state, g, restartToken, reason);
    }
}
