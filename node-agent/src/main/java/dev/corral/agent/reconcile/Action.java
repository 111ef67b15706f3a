package dev.corral.agent.reconcile;

/** One step the reconciler takes for a workload; {@link Planner} decides which. */
public sealed interface Action {

    /** Fetch the image, build and start the workload. */
    record Start(Desired desired) implements Action {
    }

    /** Stop it; {@code reason} goes into the stopped event (StopRequested, RestartRequested). */
    record Stop(String uid, String reason) implements Action {
    }

    /** Stop it if it runs, then say it is gone and forget it. */
    record Delete(String uid) implements Action {
    }

    /** It died with the previous agent process: say so, so that the control plane's restart policy can act. */
    record ReportLost(Desired desired) implements Action {
    }
}
