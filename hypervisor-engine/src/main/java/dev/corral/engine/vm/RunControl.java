package dev.corral.engine.vm;

/**
 * What the outside asks of a VM's vCPU loops: to stop, or to pause until resumed. The requests are flags every loop
 * reads before it runs guest code again; whoever sets one then kicks the vCPUs so they look. A paused loop parks
 * here, and {@link #awaitParked} tells the pauser when every loop has left guest code.
 */
final class RunControl {

    private volatile boolean stop;
    private volatile boolean pause;
    // Guarded by this.
    private int parked;

    boolean stopRequested() {
        return stop;
    }

    boolean pauseRequested() {
        return pause;
    }

    synchronized void requestStop() {
        stop = true;
        notifyAll();
    }

    void requestPause() {
        pause = true;
    }

    synchronized void resume() {
        pause = false;
        notifyAll();
    }

    /** The calling vCPU loop runs no guest code until the VM is resumed or stopped. */
    synchronized void parkWhilePaused() {
        parked++;
        notifyAll();
        boolean interrupted = false;
        try {
            while (pause && !stop) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // a vCPU thread is ended by stop requests, not by interrupts
                }
            }
        } finally {
            parked--;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Waits until {@code loops} loops are parked, or the pause was withdrawn, or {@code done} says they ended. */
    synchronized void awaitParked(int loops, java.util.function.BooleanSupplier done) throws InterruptedException {
        while (pause && parked < loops && !done.getAsBoolean()) {
            wait(10); // bounded: a loop that ends instead of parking does not notify here
        }
    }
}
