package dev.corral.agent.reconcile;

import java.time.Duration;

import dev.corral.engine.devices.legacy.ConsoleSink;

/** Runs workloads on this host: the engine for VMs. The reconciler's only way to touch a running guest. */
public interface WorkloadRuntime {

    /**
     * Fetches what the workload needs (its image, by sha256, cached) and starts it. Blocks until it is started or
     * could not be; from then on {@code listener} hears that it runs and, exactly once, that it ended.
     */
    Handle start(Desired desired, ConsoleSink console, Listener listener) throws StartException;

    /** A started workload. */
    interface Handle {
        /** Asks it to stop now; the listener hears when it has. */
        void requestStop();

        boolean awaitFinished(Duration timeout) throws InterruptedException;

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
     * @param reason one CamelCase word: StopRequested, GuestPoweredOff, GuestCrashed, EngineFailed
     */
    record Ended(boolean failed, String reason, String message) {
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
