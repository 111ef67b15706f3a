package dev.corral.engine.devices.virtio;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;

/**
 * A virtio device's I/O thread, from DRIVER_OK to reset (or the VM's end): it sleeps until the driver notifies a
 * queue, then serves that queue's available chains with the device and returns them on the used ring, so a
 * notification costs the vCPU only a flag and a wake-up. A daemon thread named after the VM and the device.
 *
 * <p>A queue whose device has nothing to put into buffers ({@link VirtioDevice#wantsBuffers} false: a network
 * device's receive queue with no frame waiting) keeps them in the ring until the device kicks it.
 *
 * <p>Work per wake-up is bounded: at most one queue's size of chains per queue, then the queue is requeued
 * behind the others, so a guest that keeps its queues full cannot starve a stop or a reset. Any error ends the
 * worker and makes the device need a reset; nothing escapes the thread. A stop lets the request in progress
 * finish (a disk write is never torn by it) and is never an interrupt, which would close a FileChannel under
 * the disk image.
 */
final class QueueWorker implements Runnable {

    private static final System.Logger LOG = System.getLogger(QueueWorker.class.getName());

    private final VirtioPciDevice transport;
    private final VirtioDevice device;
    private final Dma dma;
    private final Virtqueue[] rings;
    private final Thread thread;
    private final Object signal = new Object();
    private int kicked; // guarded by signal: one bit per queue
    private boolean stopping; // guarded by signal

    QueueWorker(String name, VirtioPciDevice transport, VirtioDevice device, Dma dma, int queues) {
        this.transport = transport;
        this.device = device;
        this.dma = dma;
        this.rings = new Virtqueue[queues];
        // The driver may have made buffers available before DRIVER_OK: look at every queue once.
        this.kicked = queues == 32 ? -1 : (1 << queues) - 1;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this);
    }

    void start() {
        thread.start();
    }

    void kick(int queue) {
        synchronized (signal) {
            kicked |= 1 << queue;
            signal.notifyAll();
        }
    }

    /** Asks the worker to end after the request in progress; does not wait. */
    void stop() {
        synchronized (signal) {
            stopping = true;
            signal.notifyAll();
        }
    }

    /** Waits for the thread to end (after {@link #stop}); never from the worker itself. */
    void join() {
        if (Thread.currentThread() == thread) {
            return;
        }
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        try {
            while (true) {
                int work = awaitWork();
                if (work == 0) {
                    return;
                }
                for (int q = 0; q < rings.length; q++) {
                    if ((work & (1 << q)) != 0 && serve(q)) {
                        kick(q);
                    }
                }
            }
        } catch (VirtqueueException | DmaException e) {
            transport.fail(e.getMessage());
        } catch (RuntimeException e) {
            // A device bug, or guest memory unmapped under us as the VM closes: the device stops, the VM does not.
            LOG.log(System.Logger.Level.ERROR, thread.getName() + " failed", e);
            transport.fail("the device failed: " + e);
        } finally {
            transport.workerExited(this);
        }
    }

    /** The queues kicked since the last call, or 0 once asked to stop. */
    private int awaitWork() {
        synchronized (signal) {
            while (kicked == 0 && !stopping) {
                try {
                    signal.wait();
                } catch (InterruptedException e) {
                    // Nobody interrupts a worker (a stop is a flag); if someone does, the flag still decides.
                }
            }
            if (stopping) {
                return 0;
            }
            int work = kicked;
            kicked = 0;
            return work;
        }
    }

    private boolean stopRequested() {
        synchronized (signal) {
            return stopping;
        }
    }

    /** Serves up to one queue's worth of chains; returns whether more may be waiting. */
    private boolean serve(int q) throws VirtqueueException, DmaException {
        var ring = rings[q];
        if (ring == null) {
            ring = transport.openQueue(q, dma);
            if (ring == null) {
                return false;
            }
            rings[q] = ring;
        }
        int usedBefore = ring.usedIndex();
        int served = 0;
        boolean more = false;
        while (!stopRequested()) {
            if (served == ring.size()) {
                more = true;
                break;
            }
            if (!device.wantsBuffers(q)) {
                break; // the device kicks the queue again once it has something for the driver's buffers
            }
            var chain = ring.pop();
            if (chain == null) {
                ring.publishAvailEvent();
                if (ring.eventIdx() && ring.hasAvailable()) {
                    continue; // made available while we were publishing: the driver will not notify for it
                }
                break;
            }
            int written = device.handle(q, chain, dma);
            ring.push(chain, written);
            served++;
        }
        if (served > 0 && ring.shouldInterrupt(usedBefore)) {
            transport.queueInterrupt(q);
        }
        return more;
    }
}
