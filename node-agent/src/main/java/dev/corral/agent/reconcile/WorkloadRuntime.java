package dev.corral.agent.reconcile;

import java.time.Duration;

import dev.corral.engine.devices.legacy.ConsoleSink;

/** Runs workloads on this host: the engine for VMs, runc for containers. The reconciler's only way to touch a running workload. */
public interface WorkloadRuntime {

    /**
     * Fetches what the workload needs (its image, by sha256, cached) and starts it. Blocks until it is started or
     * could not be; from then on {@code listener} hears that it runs and, exactly once, that it ended.
     */
    Handle start(Desired desired, ConsoleSink console, Listener listener) throws StartException;

    /**
     * Takes over a workload that an earlier agent process started and that outlived it (containers do; VMs run inside
     * the agent and die with it). From then on {@code listener} hears, exactly once, that it ended (at once if it
     * ended while no agent ran). Empty when there is nothing to take over: the workload died with that process.
     */
    default java.util.Optional<Handle> adopt(Desired desired, ConsoleSink console, Listener listener) {
        return java.util.Optional.empty();
    }

    /**
     * Removes what the workload keeps on this host between runs (a VM's disks): it was deleted, and its last run is
     * closed. Nothing to do for one that has nothing here. A failure is thrown (unchecked), to be retried.
     */
    void delete(String uid);

    /** A started workload. */
    interface Handle {
        /**
         * Asks it to stop: a guest that listens is asked to shut down (the power button) and forced off if it has not
         * within {@code grace}; a zero grace forces it at once, as does asking again with zero while a graceful stop
         * runs. The listener hears when it has stopped: reason StopForced when the grace ran out.
         */
        void requestStop(Duration grace);

        boolean awaitFinished(Duration timeout) throws InterruptedException;

        /**
         * Keystrokes for its serial console, delivered in order as the guest reads them; returns how many bytes were
         * taken (fewer only when the guest leaves a full queue unread). Never blocks on the guest.
         */
        int sendConsoleInput(byte[] bytes);

        /** Frees what it holds (guest memory); stops it first if it still runs. */
        void close();
    }

    /** Called on the workload's own threads: must not block for long. */
    interface Listener {
        /**
         * It runs. {@code accelerator} is what runs a VM ({@code kvm} or {@code emulated}, VmAccelerator's wire names);
         * null where that does not apply.
         */
        void started(String accelerator);

        void finished(Ended ended);
    }

    /**
     * How a workload ended.
     *
     * @param failed true for FAILED (crash, engine failure), false for STOPPED (asked to, or the guest powered off)
     * @param reason one CamelCase word: StopRequested, StopForced, GuestPoweredOff, GuestReset, GuestCrashed,
     *               EngineFailed; for containers Completed, Error, OOMKilled
     * @param exitCode a container's exit status (128 + signal when killed); null for VMs
     */
    record Ended(boolean failed, String reason, String message, Integer exitCode) {
        public Ended(boolean failed, String reason, String message) {
            this(failed, reason, message, null);
        }
    }

    /** The workload could not be started; {@code reason} is one CamelCase word for the failed event. */
    final class StartException extends Exception {
        private final String reason;

        public StartException(String reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = reason;
        }

        public StartException(String reason, String message) {
            this(reason, message, null);
        }

        public String reason() {
            return reason;
        }
    }
}
