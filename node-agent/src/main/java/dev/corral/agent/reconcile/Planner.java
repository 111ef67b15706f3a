package dev.corral.agent.reconcile;

import java.util.Optional;

import dev.corral.agent.reconcile.Observed.State;

/**
 * The reconciler's rule, without I/O: from what the control plane wants of a workload and what this agent has of
 * it, the one next step. Level-triggered: the same inputs always give the same step, so a missed watch event or a
 * repeated resync changes nothing; after each step the reconciler looks again.
 *
 * <p>A workload that stopped on its own (the guest powered off or crashed, or it was lost with the previous agent)
 * is not started again here: the control plane applies its restartPolicy and asks for a restart with a new
 * {@code restartRequestedAt}, which this rule sees as a new token. A guest that reset its machine (a reboot) is the
 * exception: it is started again at once, whatever its restartPolicy, as a PC reboots.
 */
public final class Planner {

    private Planner() {
    }

    public static Optional<Action> plan(Desired desired, Observed observed) {
        if (desired == null) {
            return observed == null ? Optional.empty() : Optional.of(new Action.Delete(observed.uid()));
        }
        if (observed == null) {
            return desired.running() ? Optional.of(new Action.Start(desired)) : Optional.empty();
        }
        if (observed.state() == State.LOST) {
            return Optional.of(desired.running() ? new Action.ReportLost(desired) : new Action.Stop(desired.uid(), Observed.STOP_REQUESTED));
        }
        boolean newToken = !desired.restartToken().equals(observed.restartToken());
        if (!desired.running()) {
            // A workload that ended on its own is stopped too, so that starting it again later is a plain start.
            return switch (observed.state()) {
                case STARTING, RUNNING -> Optional.of(new Action.Stop(desired.uid(), Observed.STOP_REQUESTED));
                case STOPPED, FAILED -> stoppedByRequest(observed) ? Optional.empty()
                        : Optional.of(new Action.Stop(desired.uid(), Observed.STOP_REQUESTED));
                case STOPPING -> Optional.empty();
                case LOST -> throw new AssertionError("handled above");
            };
        }
        return switch (observed.state()) {
            case STARTING, RUNNING -> newToken ? Optional.of(new Action.Stop(desired.uid(), "RestartRequested")) : Optional.empty();
            case STOPPING -> Optional.empty();
            case STOPPED, FAILED -> newToken || stoppedByRequest(observed) || rebooting(observed)
                    ? Optional.of(new Action.Start(desired)) : Optional.empty();
            case LOST -> throw new AssertionError("handled above");
        };
    }

    /** The guest reset its machine: it wants to boot again. */
    private static boolean rebooting(Observed observed) {
        return observed.state() == State.STOPPED && Observed.GUEST_RESET.equals(observed.reason());
    }

    /**
     * Stopped because it was asked to (so a start brings it back), not because the guest or the engine ended it (then
     * only a new restart token does, which is the restart policy's or the user's call).
     */
    private static boolean stoppedByRequest(Observed observed) {
        return observed.state() == State.STOPPED
                && (Observed.STOP_REQUESTED.equals(observed.reason()) || "RestartRequested".equals(observed.reason())
                        || Observed.STOP_FORCED.equals(observed.reason()));
    }
}
