package dev.corral.engine.vm;

import dev.corral.engine.cpu.CpuStats;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.corral.engine.devices.legacy.ConsoleSink;

/**
 * One virtual machine: built from a {@link VmConfig} (a backend, guest memory, the PC's devices, the kernel loaded),
 * then run with one thread per vCPU until the guest powers off or crashes, someone asks it to stop, or the engine
 * fails. The outcome is reported once, to the {@link Listener} and through {@link #outcome()}; nothing the guest does
 * can make this class throw once the VM runs.
 *
 * <p>Backend: KVM or the software CPU ({@link #accelerator()} says which); the machine model is the same for both.
 * The VM ends with the first of its vCPUs to end: the others are stopped, and the listener hears once all of them
 * have left guest code. Two VMs in one process share nothing.
 *
 * <p>Thread-safe: any thread may start, pause, resume, stop, query or close the VM.
 */
public final class VirtualMachine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(VirtualMachine.class.getName());

    public enum State { CREATED, RUNNING, PAUSED, FINISHED }

    /** Told about the VM's life. Called on a vCPU thread (finished: on the stopping thread if it never started). */
    public interface Listener {
        /** vCPU 0's thread runs: called once, before the first guest instruction. */
        void started();

        /** The VM is over: called exactly once, whether or not it started. */
        void finished(Outcome outcome);
    }

    /** Why the VM ended. */
    public sealed interface Outcome {
        /**
         * The guest powered off: {@code code} is what it wrote to the debug-exit port 0x501, 0 for ACPI soft-off (S5)
         * and for a KVM backend's system-event shutdown.
         */
        record PoweredOff(int code) implements Outcome {}

        /** The guest reset the machine (the i8042's reset line, the ACPI reset register); nothing reboots it. */
        record Reset() implements Outcome {}

        /** {@link #requestStop()} ended it; the guest was not asked. */
        record StopRequested() implements Outcome {}

        /** The guest's CPU triple-faulted: {@code reason} says what it was doing. */
        record GuestCrashed(String reason) implements Outcome {}

        /** A bug in the engine, a host failure or a backend that cannot run the guest ended it; {@code reason} says which. */
        record EngineFailed(String reason) implements Outcome {}
    }

    private final VmConfig config;
    private final Listener listener;
    private final Backend backend;
    private final PcMachine machine;
    private final List<Vcpu> cpus;
    private final List<VcpuLoop> loops;
    private final RunControl control = new RunControl();
    private final CountDownLatch done = new CountDownLatch(1);
    /** The vCPU threads, set once by start(); read by wake() from any thread. */
    private volatile Thread[] threads;

    // Guarded by this.
    private State state = State.CREATED;
    private Outcome outcome;
    private Outcome firstVcpuOutcome;
    private int runningVcpus;
    private boolean closed;

    private VirtualMachine(VmConfig config, ConsoleSink console, Listener listener, Backend backend) {
        this.config = config;
        this.listener = listener;
        this.backend = backend;
        try {
            // The Java PIC wakes vCPU 0 through this; before start() there is no thread and nothing to wake.
            this.machine = PcMachine.build(config.withCmdline(backend.kernelCmdline(config.cmdline())), console, System::nanoTime,
                    () -> wake(0), backend.irqchip(), backend.apics());
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        List<Backend.Slot> slots;
        try {
            slots = backend.createVcpus(config, machine, this::wake);
        } catch (RuntimeException e) {
            backend.close();
            machine.close();
            throw e instanceof VmException v ? v : new VmException("VM " + config.name() + ": cannot create its vCPUs: " + e.getMessage(), e);
        }
        var exits = new ExitDispatcher(machine.ports, machine.mmio, machine.power);
        this.cpus = slots.stream().map(Backend.Slot::cpu).toList();
        this.loops = slots.stream().map(s -> new VcpuLoop(s.cpu(), exits, s.interrupts(), System::nanoTime, control, LockSupport::parkNanos))
                .toList();
    }

    /**
     * Builds the VM: picks the backend its config asks for, maps guest memory, loads the kernel, attaches the devices,
     * creates the vCPUs; runs nothing yet. Guest console output goes to {@code console}, on a vCPU thread. Throws
     * {@link VmException} if it cannot be built (with {@code kvm}: also where KVM cannot be used).
     */
    public static VirtualMachine create(VmConfig config, ConsoleSink console, Listener listener) {
        Objects.requireNonNull(config, "config");
        return create(config, console, listener, Backend.open(config));
    }

    /** A VM on the software CPU's machine with vCPU 0 from {@code factory} (tests: a scripted CPU). */
    static VirtualMachine create(VmConfig config, ConsoleSink console, Listener listener, VcpuFactory factory) {
        return create(config, console, listener, EmulatedBackend.of(factory));
    }

    static VirtualMachine create(VmConfig config, ConsoleSink console, Listener listener, Backend backend) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(listener, "listener");
        return new VirtualMachine(config, console, listener, backend);
    }

    /** What runs this VM's vCPUs: {@link VmAccelerator#KVM} or {@link VmAccelerator#EMULATED}. */
    public VmAccelerator accelerator() {
        return backend.accelerator();
    }

    /** How many vCPUs run (each on its own thread): all of them under KVM's irqchip, vCPU 0 alone on the software CPU. */
    public int runningVcpuCount() {
        return loops.size();
    }

    /** Starts the vCPU threads; the listener hears {@code started()} from vCPU 0's. A VM starts at most once. */
    public void start() {
        Thread[] started;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("VM " + config.name() + " is closed");
            }
            if (state != State.CREATED) {
                throw new IllegalStateException("VM " + config.name() + " was already started");
            }
            state = State.RUNNING;
            runningVcpus = loops.size();
            started = new Thread[loops.size()];
            for (int i = 0; i < started.length; i++) {
                int index = i;
                started[i] = Thread.ofPlatform().name("vcpu" + i + "-" + config.name()).daemon(true).unstarted(() -> runVcpu(index));
            }
            threads = started;
        }
        for (var thread : started) {
            thread.start();
        }
    }

    /**
     * Ends the VM without asking the guest: every vCPU leaves guest code at once (KVM: kicked out of KVM_RUN; the
     * software CPU: at its next slice, well under a millisecond); the outcome is {@link Outcome.StopRequested} unless
     * the VM already ended. A VM never started is finished at once. Does not wait: see {@link #awaitFinished}.
     */
    public void requestStop() {
        boolean neverStarted;
        synchronized (this) {
            neverStarted = state == State.CREATED;
        }
        control.requestStop();
        if (neverStarted) {
            finish(new Outcome.StopRequested());
        } else {
            wakeAll();
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
            askGuestToPowerOff();
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

    /**
     * Stops the VM, giving the guest {@code grace} to power off by itself first (the power button), then as
     * {@link #requestStop}. Waits until the VM is over; returns its outcome.
     */
    public Outcome stop(Duration grace) throws InterruptedException {
        if (askGuestToPowerOff() && awaitFinished(grace)) {
            return outcome().orElseThrow();
        }
        requestStop();
        done.await();
        return outcome().orElseThrow();
    }

    /** Presses the ACPI power button (a fixed-feature event through the SCI); true: the machine has one to press. */
    private boolean askGuestToPowerOff() {
        machine.acpi.pressPowerButton();
        return true;
    }

    /**
     * Takes every vCPU out of guest code until {@link #resume}: returns once none runs guest code (or the VM is over).
     * Devices keep their state; the guest's clocks keep running (a paused guest sees time jump, as after a host
     * suspend). Pausing a paused or finished VM does nothing; a VM not yet started cannot be paused.
     */
    public void pause() throws InterruptedException {
        synchronized (this) {
            switch (state) {
                case CREATED -> throw new IllegalStateException("VM " + config.name() + " has not been started");
                case PAUSED, FINISHED -> {
                    return;
                }
                case RUNNING -> state = State.PAUSED;
            }
        }
        control.requestPause();
        wakeAll();
        control.awaitParked(loops.size(), () -> state() == State.FINISHED);
    }

    /** Lets a paused VM's vCPUs run guest code again; does nothing to a VM that is not paused. */
    public void resume() {
        synchronized (this) {
            if (state != State.PAUSED) {
                return;
            }
            state = State.RUNNING;
        }
        control.resume();
    }

    /** The software CPU's tiers and translation caches, summed over the vCPUs (approximate while they run); null under KVM. */
    public CpuStats cpuStats() {
        CpuStats total = CpuStats.NONE;
        for (var cpu : cpus) {
            CpuStats s = cpu.cpuStats();
            if (s == null) {
                return null;
            }
            total = total.plus(s);
        }
        return total;
    }

    /**
     * Guest instructions all vCPUs have executed so far, where the backend counts them (the software CPU), else -1:
     * for benchmarks and statistics (approximate while the VM runs).
     */
    public long instructionsRetired() {
        long total = 0;
        for (var cpu : cpus) {
            long n = cpu.instructionsRetired();
            if (n < 0) {
                return -1;
            }
            total += n;
        }
        return total;
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

    /** Stops the VM if it runs, waits for its vCPU threads to end, and frees the backend and guest memory. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        requestStop();
        boolean interrupted = false;
        var started = threads;
        if (started != null) {
            for (var thread : started) {
                // Guest memory and the vCPUs' kvm_run pages must outlive every access their threads make: wait, even if
                // interrupted.
                while (thread != Thread.currentThread()) {
                    try {
                        thread.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
        }
        backend.close();
        machine.close();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Makes vCPU {@code index} look at its requests and interrupts now: out of KVM_RUN, out of a halted sleep. */
    private void wake(int index) {
        var started = threads;
        if (cpus == null || index >= cpus.size()) {
            return; // still being built: nothing runs yet
        }
        cpus.get(index).kick();
        if (started != null) {
            LockSupport.unpark(started[index]);
        }
    }

    private void wakeAll() {
        for (int i = 0; cpus != null && i < cpus.size(); i++) {
            wake(i);
        }
    }

    private void runVcpu(int index) {
        var cpu = cpus.get(index);
        Outcome result = null;
        try {
            cpu.attachThread();
            if (index == 0) {
                try {
                    listener.started();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "VM " + config.name() + ": the listener failed on started()", e);
                }
            }
            result = loops.get(index).run();
        } catch (RuntimeException e) {
            result = new Outcome.EngineFailed("vCPU " + index + " of VM " + config.name() + " failed: " + e);
            LOG.log(System.Logger.Level.ERROR, "VM " + config.name() + ": the loop of vCPU " + index + " failed", e);
        } finally {
            cpu.detachThread();
            // An Error still propagates (and kills the thread), but the VM is over either way and says so once.
            vcpuEnded(result != null ? result : new Outcome.EngineFailed("vCPU " + index + " of VM " + config.name() + " died of an error"));
        }
    }

    /** The VM ends with its first vCPU to end; the listener hears once the last one has left guest code. */
    private void vcpuEnded(Outcome result) {
        boolean last;
        Outcome first;
        synchronized (this) {
            if (firstVcpuOutcome == null) {
                firstVcpuOutcome = result;
            }
            first = firstVcpuOutcome;
            last = --runningVcpus == 0;
        }
        control.requestStop();
        wakeAll();
        if (last) {
            finish(first);
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
