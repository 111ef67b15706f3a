package dev.corral.controlplane.usage;

/** Where a workload stands for billing. */
public enum Phase {
    /** Nothing seen yet. */
    None,
    /** Holds a placement (its vCPUs, memory and devices are reserved on a node) but does not run. */
    Allocated,
    /** Runs. */
    Running,
    /** Deleted: nothing more is counted, whatever arrives later. */
    Gone;

    boolean counts() {
        return this == Allocated || this == Running;
    }

    /** The phase a lifecycle event moves a workload to from {@code current}. */
    static Phase after(String action, Phase current) {
        return switch (action) {
            case "scheduled", "starting", "stopped", "failed" -> Allocated;
            case "running", "exists" -> Running;
            // A workload that is stopping still runs until it is stopped.
            case "stopping" -> current == None ? Running : current;
            case "deleted" -> Gone;
            default -> current;
        };
    }
}
