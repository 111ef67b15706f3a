package dev.corral.engine.launcher;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.concurrent.CountDownLatch;

import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.vm.VirtualMachine;
import dev.corral.engine.vm.VmConfig;
import dev.corral.engine.vm.VmException;

/**
 * {@code corral-vmm run ...}: one VM in this process, as {@code lkvm run} does. The guest's serial console goes to
 * stdout; Ctrl-C stops the VM. Exit status: 0 when the guest powered off or reset itself (with {@code --debug-exit},
 * the status it wrote to port 0x501), 1 with one line on stderr when the guest crashed or the engine failed, 2 for a
 * bad command line or a VM that cannot be built, 130 after Ctrl-C.
 */
public final class VmmMain {

    static final int OK = 0, FAILED = 1, USAGE = 2, INTERRUPTED = 130;

    private VmmMain() {
    }

    public static void main(String[] args) {
        int status = run(args, new FileOutputStream(FileDescriptor.out), System.err, true);
        System.exit(status);
    }

    /**
     * Runs the command; returns the exit status. {@code console} receives the guest's serial output, {@code err} the one
     * line that explains a non-zero status. With {@code handleCtrlC}, SIGINT stops the VM (a shutdown hook).
     */
    static int run(String[] args, OutputStream console, PrintStream err, boolean handleCtrlC) {
        if (args.length == 0 || !args[0].equals("run")) {
            err.println("corral-vmm: " + RunOptions.USAGE);
            return USAGE;
        }
        RunOptions options;
        VmConfig config;
        try {
            options = RunOptions.parse(java.util.Arrays.copyOfRange(args, 1, args.length));
            byte[] kernel = Files.readAllBytes(options.kernel());
            byte[] initrd = options.initrd() == null ? null : Files.readAllBytes(options.initrd());
            config = new VmConfig("vmm", options.cpus(), options.memoryMiB() << 20, kernel, initrd, options.cmdline(),
                    options.debugExit(), options.accelerator());
        } catch (RunOptions.UsageException | VmException e) {
            err.println("corral-vmm: " + e.getMessage());
            return USAGE;
        } catch (IOException e) {
            err.println("corral-vmm: cannot read " + e.getMessage());
            return USAGE;
        }

        var done = new CountDownLatch(1);
        VirtualMachine vm;
        try {
            vm = VirtualMachine.create(config, toStream(console, err), new VirtualMachine.Listener() {
                @Override
                public void started() {
                }

                @Override
                public void finished(VirtualMachine.Outcome outcome) {
                    done.countDown();
                }
            });
        } catch (VmException e) {
            err.println("corral-vmm: " + e.getMessage());
            return USAGE;
        }
        Thread hook = null;
        if (handleCtrlC) {
            // SIGINT runs the shutdown hooks: stop the VM and wait for its vCPUs, so the JVM exits with them out of guest
            // code. The JVM then exits 130, as a shell expects of a process that Ctrl-C ended.
            hook = new Thread(() -> {
                if (vm.state() != VirtualMachine.State.FINISHED) {
                    err.println("corral-vmm: stopped (interrupted)");
                }
                vm.close();
            }, "corral-vmm-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        vm.start();
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            vm.close();
            return INTERRUPTED;
        }
        var outcome = vm.outcome().orElseThrow();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                return INTERRUPTED; // Ctrl-C came: the hook stops the VM, says so, and the JVM exits 130
            }
        }
        vm.close();
        return switch (outcome) {
            case VirtualMachine.Outcome.PoweredOff off -> options.debugExit() ? off.code() : OK;
            case VirtualMachine.Outcome.Reset r -> OK; // a reboot: there is no firmware to boot again, the run is over
            case VirtualMachine.Outcome.StopRequested s -> {
                err.println("corral-vmm: stopped (interrupted)");
                yield INTERRUPTED;
            }
            case VirtualMachine.Outcome.GuestCrashed c -> {
                err.println("corral-vmm: the guest crashed: " + c.reason());
                yield FAILED;
            }
            case VirtualMachine.Outcome.EngineFailed f -> {
                err.println("corral-vmm: the engine failed: " + f.reason());
                yield FAILED;
            }
        };
    }

    /**
     * The console as the guest writes it, a byte at a time (each one an exit from the guest anyway): passed straight on,
     * so a shell prompt without a newline shows at once. A console that cannot be written to (a closed pipe) is said
     * once and then ignored: the guest is not stopped for it.
     */
    private static ConsoleSink toStream(OutputStream out, PrintStream err) {
        return new ConsoleSink() {
            private boolean broken;

            @Override
            public synchronized void write(byte b) {
                if (broken) {
                    return;
                }
                try {
                    out.write(b);
                    out.flush();
                } catch (IOException e) {
                    broken = true;
                    err.println("corral-vmm: the console output is gone (" + e.getMessage() + "); the VM goes on");
                }
            }
        };
    }
}
