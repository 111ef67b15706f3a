package dev.corral.engine.vm;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.corral.engine.devices.legacy.ConsoleSink;

/**
 * One virtual machine: built from a {@link VmConfig} (guest memory, the PC's devices, the kernel loaded), then run
 * on its own vCPU thread until the guest powers off or crashes, someone asks it to stop, or the engine fails. The
 * outcome is reported once, to the {@link Listener} and through {@link #outcome()}; nothing the guest does can make
 * this class throw once the VM runs.
 *
 * <p>Backend: the software CPU. Only vCPU 0 runs; a config with more vCPUs is accepted and the others stay parked
 * until the backend has application processors. Two VMs in one process share nothing.
 *
 * <p>Thread-safe: any thread may start, stop, query or close the VM.
 */
public final class VirtualMachine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VirtualMachine.class.getName());

    public enum State { CREATED, RUNNING, FINISHED }

    /** Told about the VM's life. Called on the vCPU thread (finished: on the stopping thread if it never started). */
    public interface Listener {
        /** The vCPU thread runs: called once, before the first guest instruction. */
        void started();

        /** The VM is over: called exactly once, whether or not it started. */
        void finished(Outcome outcome);
    }

    /** Why the VM ended. */
    public sealed interface Outcome {
        /** The guest powered off: {@code code} is what it wrote to the debug-exit port 0x501, 0 for ACPI soft-off (S5). */
        record PoweredOff(int code) implements Outcome {}

        /** The guest reset the machine (the i8042's reset line, the ACPI reset register); nothing reboots it. */
        record Reset() implements Outcome {}

        /** {@link #requestStop()} ended it; the guest was not asked. */
        record StopRequested() implements Outcome {}

        /** The guest's CPU triple-faulted: {@code reason} says what it was doing. */
        record GuestCrashed(String reason) implements Outcome {}

        /** A bug in the engine or a host failure ended it; {@code reason} says what failed. */
        record EngineFailed(String reason) implements Outcome {}
    }

    private final VmConfig config;
    private final Listener listener;
    private final PcMachine machine;
    private final VcpuLoop loop;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private volatile Thread vcpuThread;

    // Guarded by this.
    private State state = State.CREATED;
    private Outcome outcome;
    private boolean closed;

    private VirtualMachine(VmConfig config, ConsoleSink console, Listener listener, VcpuFactory backend) {
        this.config = config;
        this.listener = listener;
        // The PIC wakes a halted vCPU through this; before start() there is no thread and unpark(null) does nothing.
        this.machine = PcMachine.build(config, console, System::nanoTime, () -> LockSupport.unpark(vcpuThread));
        Vcpu cpu;
        try {
            cpu = backend.create(machine.memory, machine.mmio, machine.plan.entry());
        } catch (RuntimeException e) {
            machine.close();
            throw new VmException("VM " + config.name() + ": cannot create its vCPU: " + e.getMessage(), e);
        }
        this.loop = new VcpuLoop(cpu, new ExitDispatcher(machine.ports, machine.power), machine.chipset.pic(), machine.chipset.pit(),
                System::nanoTime, () -> stopRequested, LockSupport::parkNanos);
    }

    /**
     * Builds the VM: maps guest memory, loads the kernel, attaches the devices; runs nothing yet. Guest console
     * output goes to {@code console}, on the vCPU thread. Throws {@link VmException} if it cannot be built.
     */
    public static VirtualMachine create(VmConfig config, ConsoleSink console, Listener listener) {
        return create(config, console, listener, EmulatedVcpu::create);
    }

    static VirtualMachine create(VmConfig config, ConsoleSink console, Listener listener, VcpuFactory backend) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(listener, "listener");
        return new VirtualMachine(config, console, listener, backend);
    }

    /** Starts the vCPU thread; the listener hears {@code started()} from it. A VM starts at most once. */
    public void start() {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("VM " + config.name() + " is closed");
            }
            if (state != State.CREATED) {
                throw new IllegalStateException("VM " + config.name() + " was already started");
            }
            state = State.RUNNING;
            vcpuThread = Thread.ofPlatform().name("vcpu0-" + config.name()).daemon(true).unstarted(this::runVcpu);
        }
        vcpuThread.start();
    }

    /**
     * Ends the VM without asking the guest: the vCPU stops at its next slice boundary (well under a millisecond of
     * guest time) or at once if halted; the outcome is {@link Outcome.StopRequested} unless the VM already ended.
     * A VM never started is finished at once. Does not wait: see {@link #awaitFinished}.
     */
    public void requestStop() {
        boolean neverStarted;
        synchronized (this) {
            stopRequested = true;
            neverStarted = state == State.CREATED;
        }
        if (neverStarted) {
            finish(new Outcome.StopRequested());
        } else {
            LockSupport.unpark(vcpuThread);
        }
    }

    /**
     * Asks the guest to shut down, as a press of the power button does (an ACPI fixed-feature event): a guest that
     * listens shuts down and powers off on its own, and the VM ends {@link Outcome.PoweredOff}. Does not wait and
     * forces nothing: {@link #requestStop} after a grace period does. A VM never started is stopped at once.
     */
    public void requestShutdown() {
        boolean neverStarted;
        synchronized (this) {
            neverStarted = state == State.CREATED;
        }
        if (neverStarted) {
            requestStop();
        } else {
            machine.acpi.pressPowerButton();
        }
    }

    /**
     * Keystrokes for the guest's serial console (COM1), delivered in order as the guest reads them; returns how many
     * bytes were taken, fewer only when {@link dev.corral.engine.devices.legacy.Uart16550#HOST_INPUT_CAPACITY} bytes
     * already wait for a guest that does not read. Any thread; never blocks on the guest.
     */
    public int sendConsoleInput(byte[] bytes) {
        return machine.legacy.com1().sendInput(bytes);
    }

    public synchronized State state() {
        return state;
    }

    public synchronized Optional<Outcome> outcome() {
        return Optional.ofNullable(outcome);
    }

    /** Waits until the VM is over and the listener has been told; false if {@code timeout} passed first. */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Stops the VM if it runs, waits for its vCPU thread to end, and frees guest memory. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        requestStop();
        var thread = vcpuThread;
        boolean interrupted = false;
        if (thread != null && thread != Thread.currentThread()) {
            // Guest memory must outlive every access the vCPU thread makes: wait for it, even if interrupted.
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        machine.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void runVcpu() {
        Outcome result = null;
        try {
            try {
                listener.started();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "VM " + config.name() + ": the listener failed on started()", e);
            }
            result = loop.run();
        } catch (RuntimeException e) {
            result = new Outcome.EngineFailed("the vCPU loop of VM " + config.name() + " failed: " + e);
            LOG.log(System.Logger.Level.ERROR, "VM " + config.name() + ": the vCPU loop failed", e);
        } finally {
            // An Error still propagates (and kills the thread), but the VM is over either way and says so once.
            finish(result != null ? result : new Outcome.EngineFailed("the vCPU thread of VM " + config.name() + " died of an error"));
        }
    }

    private void finish(Outcome result) {
        synchronized (this) {
            if (state == State.FINISHED) {
                return;
            }
            state = State.FINISHED;
            outcome = result;
        }
        try {
            listener.finished(result);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "VM " + config.name() + ": the listener failed on finished()", e);
        }
        done.countDown();
    }
}
