package dev.corral.agent.runtime;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarFile;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime;
import dev.corral.api.Image;
import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.host.Accelerator;
import dev.corral.engine.vm.AcceleratorUnavailableException;
import dev.corral.engine.vm.VirtualMachine;
import dev.corral.engine.vm.VmAccelerator;
import dev.corral.engine.vm.VmConfig;
import dev.corral.engine.vm.VmException;
import org.jboss.logging.Logger;

/**
 * Runs VMs through Corral's own engine, in this process: fetches the image (by sha256, cached), builds the
 * VirtualMachine and starts it. How a VM ends becomes an {@link WorkloadRuntime.Ended} with a one-word reason. A
 * graceful stop presses the VM's ACPI power button and forces it off when the grace runs out (StopForced).
 * A VM's disks ({@link VmDisks}) and its tap on the node's bridge ({@link VmNetwork}) are opened for each run and
 * closed after the VM is. Containers are not run yet: they fail to start with reason {@code Unsupported}.
 */
public final class EngineRuntime implements WorkloadRuntime {

    private static final Logger LOG = Logger.getLogger(EngineRuntime.class);

    /** What the runtime needs from the control plane: image definitions. */
    @FunctionalInterface
    public interface Images {
        Image find(String project, String name) throws IOException, InterruptedException;
    }

    private final Images images;
    private final ImageCache cache;
    private final VmAccelerator accelerator;
    private final VmDisks disks;
    private final VmNetwork network;

    /**
     * @param accelerator what runs the VMs: {@link VmAccelerator#AUTO} picks KVM where /dev/kvm works
     * @param disks       where the VMs' disks are kept (their boot overlays on the cache's blobs)
     * @param network     the node's VM network (or none)
     */
    public EngineRuntime(Images images, ImageCache cache, VmAccelerator accelerator, VmDisks disks, VmNetwork network) {
        this.images = images;
        this.cache = cache;
        this.accelerator = accelerator;
        this.disks = disks;
        this.network = network;
    }

    @Override
    public Handle start(Desired desired, ConsoleSink console, Listener listener) throws StartException {
        if (!"VM".equals(desired.kind())) {
            throw new StartException("Unsupported", desired.kind() + "s are not run by this agent yet");
        }
        if (desired.image() == null || desired.image().isBlank()) {
            throw new StartException("InvalidImage", desired.subject() + " names no image");
        }
        long memory = desired.memoryMiB() << 20;
        long began = System.nanoTime();
        byte[] kernel;
        byte[] initrd = null;
        String cmdline;
        Image.DiskRef imageDisk;
        try {
            var image = images.find(desired.project(), desired.image());
            var spec = image.spec();
            if (spec == null || spec.kernel() == null || spec.kernel().sha256() == null) {
                throw new StartException("InvalidImage", "image " + desired.image() + " has no kernel");
            }
            kernel = read(cache.get(spec.kernel().sha256()), memory, "kernel");
            if (spec.initrd() != null && spec.initrd().sha256() != null) {
                initrd = read(cache.get(spec.initrd().sha256()), memory, "initrd");
            }
            cmdline = desired.cmdline() != null ? desired.cmdline() : spec.cmdline() != null ? spec.cmdline() : "";
            imageDisk = spec.disk();
        } catch (IOException e) {
            throw new StartException("ImageUnavailable", "image " + desired.image() + " of project " + desired.project()
                    + " could not be fetched: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartException("Interrupted", "the agent is stopping", e);
        }
        long fetched = System.nanoTime();
        // What the VM holds besides its memory, opened for this run and closed after the VM: its disks and its tap.
        VmDisks.Opened opened = null;
        VmNetwork.Attached nic = null;
        VirtualMachine vm;
        // A graceful stop's grace once asked for, and whether it ran out so that the VM was forced off.
        var graceful = new AtomicReference<Duration>();
        var forced = new AtomicBoolean();
        try {
            try {
                opened = disks.open(desired, imageDisk);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StartException("Interrupted", "the agent is stopping", e);
            }
            var nics = new ArrayList<VmConfig.Nic>();
            if (desired.network() != null) {
                nic = network.attach(desired);
                nics.add(nic.nic());
                cmdline = cmdline.isBlank() ? nic.cmdlineWord() : cmdline + " " + nic.cmdlineWord();
            }
            var config = new VmConfig(desired.name(), (int) Math.ceil(desired.vcpus()), desired.memoryMiB() << 20, kernel, initrd,
                    cmdline, true, opened.disks(), accelerator, nics);
            var built = new AtomicReference<VirtualMachine>();
            vm = VirtualMachine.create(config, console, new VirtualMachine.Listener() {
                @Override
                public void started() {
                    listener.started(built.get().accelerator().wireName());
                }

                @Override
                public void finished(VirtualMachine.Outcome outcome) {
                    listener.finished(forced.get() ? forcedOff(graceful.get()) : ended(outcome));
                }
            });
            built.set(vm); // before start(), which begins the thread started() is called on
        } catch (AcceleratorUnavailableException e) {
            release(opened, nic);
            throw new StartException("AcceleratorUnavailable", e.getMessage(), e);
        } catch (VmException | IllegalArgumentException e) {
            release(opened, nic);
            throw new StartException("InvalidImage", "VM " + desired.name() + " cannot be built: " + e.getMessage(), e);
        } catch (StartException | RuntimeException | Error e) {
            release(opened, nic);
            throw e;
        }
        long built = System.nanoTime();
        vm.start();
        LOG.debugf("VM %s: image %d ms, build %d ms, start %d ms", desired.name(), (fetched - began) / 1_000_000,
                (built - fetched) / 1_000_000, (System.nanoTime() - built) / 1_000_000);
        var held = opened;
        var tap = nic;
        var closed = new AtomicBoolean();
        return new Handle() {
            @Override
            public void requestStop(Duration grace) {
                if (grace.isZero() || grace.isNegative()) {
                    vm.requestStop();
                    return;
                }
                if (!graceful.compareAndSet(null, grace)) {
                    return; // a graceful stop already runs; its own timer forces it off
                }
                vm.requestShutdown();
                Thread.ofVirtual().name("stop-grace-" + desired.name()).start(() -> {
                    try {
                        if (!vm.awaitFinished(grace)) {
                            forced.set(true);
                            vm.requestStop();
                        }
                    } catch (InterruptedException e) {
                        vm.requestStop();
                    }
                });
            }

            @Override
            public boolean awaitFinished(Duration timeout) throws InterruptedException {
                return vm.awaitFinished(timeout);
            }

            @Override
            public int sendConsoleInput(byte[] bytes) {
                return vm.sendConsoleInput(bytes);
            }

            @Override
            public void close() {
                if (!closed.compareAndSet(false, true)) {
                    return;
                }
                try {
                    vm.close();
                } finally {
                    // After the VM: its devices no longer touch them. Closing flushes the disks; the tap vanishes.
                    release(held, tap);
                }
            }
        };
    }

    /**
     * Loads and initializes the engine's classes (from its jar) so that the first VM does not: building the first
     * ticker VM took 340–1,190 ms against 3–28 ms for the next ones (2 cores, bench/create-to-running), nearly all
     * of it class loading and cold code. Meant for a background thread at agent start; any failure only means the
     * first VM pays for it, as before. Static initializers of the engine only look up handles (no I/O, no devices).
     */
    public static int preloadEngine() {
        var loader = VirtualMachine.class.getClassLoader();
        var source = VirtualMachine.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            return 0;
        }
        int loaded = 0;
        try (var jar = new JarFile(Path.of(source.getLocation().toURI()).toFile())) {
            for (var entries = jar.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (!name.endsWith(".class") || name.contains("-") || name.startsWith("dev/corral/engine/launcher/")) {
                    continue; // module-info, package-info; the standalone launcher is not the agent's
                }
                try {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), true, loader);
                    loaded++;
                } catch (ReflectiveOperationException | LinkageError e) {
                    // Not loadable here (a backend this host lacks): its first use says so, not the warm-up.
                }
            }
        } catch (IOException | URISyntaxException | IllegalArgumentException | SecurityException e) {
            // Not a jar (classes from a directory in tests): nothing to preload.
        }
        return loaded;
    }

    /** Removes what the workload keeps here between runs: its disks (and a tap, should one have outlived its VM). */
    @Override
    public void delete(String uid) {
        disks.delete(uid);
        network.release(uid);
    }

    private static void release(VmDisks.Opened opened, VmNetwork.Attached nic) {
        try {
            if (opened != null) {
                opened.close();
            }
        } finally {
            if (nic != null) {
                nic.close();
            }
        }
    }

    /**
     * What runs this node's VMs for the agent's {@code corral.agent.accelerator} on a host that offers {@code host}.
     * {@code auto} means KVM only where the CPU virtualizes (VT-x/AMD-V): under kvm_pvm a guest kernel's every
     * instruction goes through KVM's instruction emulator, which is far slower than the software CPU for a kernel
     * and cannot run some instructions Linux needs at all (measured: the Debian kernel took 10 minutes to reach its
     * initramfs and then failed on LDMXCSR; see docs/0005), so there {@code auto} is the software
     * CPU. {@code kvm} asks for KVM wherever /dev/kvm opens (small guests start fastest under it, PVM or not), and
     * {@code emulated} for the software CPU everywhere.
     */
    public static VmAccelerator accelerator(VmAccelerator setting, Accelerator host) {
        if (setting != VmAccelerator.AUTO) {
            return setting;
        }
        return host == Accelerator.KVM_HARDWARE ? VmAccelerator.AUTO : VmAccelerator.EMULATED;
    }

    /** The largest kernel or initrd the engine loads: it takes them as one array. */
    static final long MAX_LOADED_BYTES = Integer.MAX_VALUE - 8;

    /**
     * Reads a blob that must fit in the VM's memory (a larger one could never boot, and must not exhaust the agent's
     * heap) and in one array (past that, reading it was an {@link OutOfMemoryError} on the reconciler's thread).
     */
    private static byte[] read(Path blob, long memoryBytes, String what) throws IOException, StartException {
        long size = Files.size(blob);
        if (size > memoryBytes) {
            throw new StartException("InvalidImage", "the " + what + " is " + size + " bytes, more than the VM's memory of "
                    + memoryBytes + " bytes");
        }
        if (size > MAX_LOADED_BYTES) {
            throw new StartException("InvalidImage", "the " + what + " is " + size + " bytes; the engine loads kernels and "
                    + "initrds of at most " + MAX_LOADED_BYTES + " bytes");
        }
        return Files.readAllBytes(blob);
    }

    static Ended forcedOff(Duration grace) {
        return new Ended(false, "StopForced", "the guest did not shut down within " + grace.toSeconds()
                + " s of being asked to; it was forced off");
    }

    static Ended ended(VirtualMachine.Outcome outcome) {
        return switch (outcome) {
            case VirtualMachine.Outcome.StopRequested s -> new Ended(false, "StopRequested", "the VM was stopped");
            case VirtualMachine.Outcome.PoweredOff p -> new Ended(false, "GuestPoweredOff",
                    "the guest powered off (exit code " + p.code() + ")");
            case VirtualMachine.Outcome.Reset r -> new Ended(false, "GuestReset", "the guest reset the machine");
            case VirtualMachine.Outcome.GuestCrashed c -> new Ended(true, "GuestCrashed", "the guest crashed: " + c.reason());
            case VirtualMachine.Outcome.EngineFailed f -> new Ended(true, "EngineFailed", "the engine failed: " + f.reason());
        };
    }
}
