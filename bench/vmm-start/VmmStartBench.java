import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.host.Accelerator;
import dev.corral.engine.host.AcceleratorProbe;
import dev.corral.engine.vm.VirtualMachine;
import dev.corral.engine.vm.VmAccelerator;
import dev.corral.engine.vm.VmConfig;

/**
 * bench/vmm-start: how fast a VM starts (process or call, to the ticker's "booted" line on its serial console) and how
 * much host memory an idle VM costs beyond the guest RAM it touched, for Corral under KVM and on its software CPU,
 * and for QEMU -M microvm with the same guest, in one run.
 * Usage: java -cp hypervisor-engine/target/classes VmmStartBench.java TICKER CORRAL_VMM_SCRIPT
 */
public class VmmStartBench {

    static final String MARKER = "corral ticker: booted";
    /** Guest RAM: a size no other mapping has, so smaps can say how much of it the guest touched. */
    static final long GUEST_MIB = 40;
    static final int RUNS = 10, WARMUPS = 2, IDLE_VMS = 16;

    record Row(String what, double startMs, double idleKib) {
    }

    public static void main(String[] args) throws Exception {
        Path ticker = Path.of(args[0]).toAbsolutePath();
        String corralVmm = Path.of(args[1]).toAbsolutePath().toString();
        var finding = AcceleratorProbe.ofHost().probe();
        boolean kvm = finding.accelerator() != Accelerator.EMULATED_ONLY;
        System.out.printf("cores %d, %s (%s), guest: the ticker (%d bytes), %d MiB of RAM; start = median of %d after %d warm-ups%n",
                Runtime.getRuntime().availableProcessors(), finding.accelerator().wireName(), finding.reason(), Files.size(ticker),
                GUEST_MIB, RUNS, WARMUPS);
        if (!kvm) {
            System.out.println("no /dev/kvm: the KVM rows are skipped; QEMU runs with TCG instead");
        }
        byte[] image = Files.readAllBytes(ticker);
        var rows = new ArrayList<Row>();
        var qemuAccel = kvm ? List.of("kvm") : List.of("tcg");
        for (var accel : kvm ? List.of(VmAccelerator.KVM, VmAccelerator.EMULATED) : List.of(VmAccelerator.EMULATED)) {
            String name = "corral " + accel.wireName() + " (VirtualMachine in a running JVM, as the node agent)";
            double start = median(() -> inJvmStart(image, accel));
            rows.add(new Row(name, start, inJvmIdleKib(image, accel)));
        }
        for (var accel : kvm ? List.of("kvm", "emulated") : List.of("emulated")) {
            List<String> command = List.of(corralVmm, "run", "--kernel", ticker.toString(), "--cmdline", "interval=1000",
                    "--memory", Long.toString(GUEST_MIB), "--accel", accel);
            rows.add(processRow("corral-vmm --accel " + accel + " (a JVM per VM)", command));
        }
        for (var accel : qemuAccel) {
            List<String> command = new ArrayList<>(List.of("qemu-system-x86_64", "-M", "microvm", "-accel", accel, "-nodefaults",
                    "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot", "-m", GUEST_MIB + "M", "-kernel",
                    ticker.toString(), "-append", "interval=1000"));
            // Measured on kvm_pvm (REFERENCE-MEASUREMENTS.md): QEMU refuses -cpu host there unless told to leave out
            // IA32_ARCH_CAPABILITIES.
            command.addAll(accel.equals("kvm") ? List.of("-cpu", "host,-arch-capabilities") : List.of("-cpu", "max"));
            rows.add(processRow("qemu-system-x86_64 -M microvm -accel " + accel, command));
        }

        System.out.printf("%-62s %14s %22s%n", "", "start (ms)", "idle VM beyond RAM");
        for (var r : rows) {
            System.out.printf("%-62s %14.1f %18.0f KiB%n", r.what(), r.startMs(), r.idleKib());
        }
        Row qemu = rows.getLast();
        String q = "qemu-" + qemuAccel.getFirst();
        for (var r : rows) {
            if (r.what().startsWith("corral ")) {
                String c = "corral-" + r.what().split(" ")[1];
                System.out.printf("vmm-start %s/%s = %.2f%n", c, q, r.startMs() / qemu.startMs());
                System.out.printf("vmm-idle-memory %s/%s = %.2f%n", c, q, r.idleKib() / qemu.idleKib());
            }
        }
    }

    static VmConfig config(byte[] image, VmAccelerator accel) {
        return new VmConfig("bench", 1, GUEST_MIB << 20, image, null, "interval=1000", false, accel);
    }

    /** A console that counts down when the marker line is complete. */
    static final class Marker implements ConsoleSink {
        final CountDownLatch seen = new CountDownLatch(1);
        private final StringBuilder line = new StringBuilder();

        @Override
        public synchronized void write(byte b) {
            line.append((char) b);
            if (line.indexOf(MARKER) >= 0) {
                seen.countDown();
            }
        }
    }

    static final VirtualMachine.Listener QUIET = new VirtualMachine.Listener() {
        @Override
        public void started() {
        }

        @Override
        public void finished(VirtualMachine.Outcome outcome) {
        }
    };

    /** create + start to the marker, in milliseconds. */
    static double inJvmStart(byte[] image, VmAccelerator accel) {
        long t0 = System.nanoTime();
        var marker = new Marker();
        try (var vm = VirtualMachine.create(config(image, accel), marker, QUIET)) {
            vm.start();
            if (!marker.seen.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no marker from corral " + accel.wireName() + " in 30 s");
            }
            return (System.nanoTime() - t0) / 1e6;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** IDLE_VMS idle VMs in this JVM: what each adds to its RSS beyond the guest RAM it touched, in KiB. */
    static double inJvmIdleKib(byte[] image, VmAccelerator accel) throws Exception {
        System.gc();
        Thread.sleep(300);
        long before = rssKib(ProcessHandle.current().pid());
        long guestBefore = guestRamKib(ProcessHandle.current().pid());
        var vms = new ArrayList<VirtualMachine>();
        try {
            for (int i = 0; i < IDLE_VMS; i++) {
                var marker = new Marker();
                var vm = VirtualMachine.create(config(image, accel), marker, QUIET);
                vms.add(vm);
                vm.start();
                if (!marker.seen.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("no marker from idle VM " + i);
                }
            }
            Thread.sleep(1000);
            System.gc();
            Thread.sleep(300);
            long after = rssKib(ProcessHandle.current().pid());
            long guest = guestRamKib(ProcessHandle.current().pid()) - guestBefore;
            return (double) (after - before - guest) / IDLE_VMS;
        } finally {
            vms.forEach(VirtualMachine::close);
        }
    }

    /** Start of a VMM process to its marker (median), and its idle RSS beyond touched guest RAM (one run, 1 s idle). */
    static Row processRow(String what, List<String> command) throws Exception {
        double start = median(() -> {
            try {
                var p = spawn(command);
                long t0 = System.nanoTime();
                try {
                    awaitMarker(p, what);
                    return (System.nanoTime() - t0) / 1e6;
                } finally {
                    stop(p);
                }
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(what + ": " + e.getMessage(), e);
            }
        });
        var p = spawn(command);
        try {
            awaitMarker(p, what);
            Thread.sleep(1000);
            long rss = rssKib(p.pid());
            long guest = guestRamKib(p.pid());
            return new Row(what, start, rss - guest);
        } finally {
            stop(p);
        }
    }

    static Process spawn(List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    }

    static void awaitMarker(Process p, String what) throws IOException {
        InputStream in = p.getInputStream();
        var seen = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            seen.append((char) b);
            if (seen.indexOf(MARKER) >= 0) {
                // Keep draining so the VMM never blocks on a full pipe while it idles.
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        in.transferTo(java.io.OutputStream.nullOutputStream());
                    } catch (IOException e) {
                        // the process ended
                    }
                });
                return;
            }
        }
        throw new IllegalStateException(what + " ended without printing the marker: " + seen);
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    static double median(Supplier<Double> run) {
        for (int i = 0; i < WARMUPS; i++) {
            run.get();
        }
        double[] ms = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            ms[i] = run.get();
        }
        Arrays.sort(ms);
        return (ms[RUNS / 2 - 1] + ms[RUNS / 2]) / 2;
    }

    static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }

    /** The resident part of the mappings that are guest RAM: GUEST_MIB, give or take QEMU's alignment padding. */
    static long guestRamKib(long pid) throws IOException {
        long total = 0;
        long size = -1;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"), StandardCharsets.ISO_8859_1)) {
            if (line.startsWith("Size:")) {
                size = Long.parseLong(line.replaceAll("[^0-9]", ""));
            } else if (line.startsWith("Rss:") && size >= GUEST_MIB * 1024 && size <= (GUEST_MIB + 4) * 1024) {
                total += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return total;
    }
}
