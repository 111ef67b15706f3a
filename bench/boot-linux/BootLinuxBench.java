import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.vm.VirtualMachine;
import dev.corral.engine.vm.VmAccelerator;
import dev.corral.engine.vm.VmConfig;

/**
 * bench/boot-linux: wall time from "boot this VM" to the linux guest's init marker ("corral linux: init after X s on N
 * CPUs"), Corral's software CPU against QEMU TCG, same kernel, initramfs and command line, 1 and 2 vCPUs.
 * Usage: java -cp hypervisor-engine/target/classes BootLinuxBench.java VMLINUZ INITRAMFS
 */
public class BootLinuxBench {

    static final String CMDLINE = "console=ttyS0 panic=-1 corral.init=poweroff";
    static final Pattern MARKER = Pattern.compile("corral linux: init after ([0-9.]+) s on ([0-9]+) CPUs");
    static final Pattern STAMP = Pattern.compile("^\\[\\s*([0-9]+\\.[0-9]+)\\] (.*)$", Pattern.MULTILINE);
    static final long MEMORY_MIB = 256;

    /**
     * One boot: {@code lines} are the console's lines with the guest's instructions retired when each was written
     * (Corral's; -1 for QEMU).
     */
    record Boot(String what, double toMarker, double guestUptime, double toFirstOutput, long instructions, String console,
            String tiers, List<Line> lines) {
    }

    /** A console line and the guest instructions retired (all vCPUs) when its end was written, or -1. */
    record Line(String text, long instructions) {
    }

    public static void main(String[] args) throws Exception {
        Path kernel = Path.of(args[0]);
        Path initrd = Path.of(args[1]);
        if (args.length > 3 && args[2].equals("--interpreter-only")) {
            // run.sh runs this first, in a JVM started with -Dcorral.cpu.translate=off: a warm 1-vCPU boot's seconds.
            corral(kernel, initrd, 1, "interpreter, first boot");
            Boot b = corral(kernel, initrd, 1, "interpreter, warm");
            Files.writeString(Path.of(args[3]), String.format("%.2f %d%n", b.toMarker(), b.instructions()));
            return;
        }
        double interpreterOnly = -1;
        long interpreterInstructions = 0;
        if (args.length > 3 && args[2].equals("--interpreter-result")) {
            String[] r = Files.readString(Path.of(args[3])).trim().split(" ");
            interpreterOnly = Double.parseDouble(r[0]);
            interpreterInstructions = Long.parseLong(r[1]);
        }
        System.out.printf("cores %d, %d MiB, command line \"%s\"%n", Runtime.getRuntime().availableProcessors(), MEMORY_MIB, CMDLINE);
        var ratios = new ArrayList<String>();
        for (int cpus : new int[] {1, 2}) {
            Boot qemu = best(List.of(qemu(kernel, initrd, cpus), qemu(kernel, initrd, cpus)));
            // The 1-vCPU boots come first: the 2-vCPU ones find the JIT and the shared translations warm.
            Boot cold = corral(kernel, initrd, cpus, cpus == 1 ? "corral (first boot in this JVM)" : "corral (third boot in this JVM)");
            Boot warm = corral(kernel, initrd, cpus, cpus == 1 ? "corral (second boot, warm JIT)" : "corral (fourth boot)");
            for (Boot b : List.of(qemu, cold, warm)) {
                System.out.printf("  %d vCPU  %-36s %6.2f s to the marker (guest uptime there %5.2f s, first output after %5.2f s)%s%n",
                        cpus, b.what(), b.toMarker(), b.guestUptime(), b.toFirstOutput(),
                        b.instructions() > 0 ? String.format(", %.2f G guest instructions, %.0f M/s", b.instructions() / 1e9,
                                b.instructions() / b.toMarker() / 1e6) : "");
            }
            if (cpus == 1 && interpreterOnly > 0) {
                System.out.printf("  1 vCPU  %-36s %6.2f s to the marker, %.2f G guest instructions, %.0f M/s%n",
                        "corral interpreter only (warm JIT)", interpreterOnly, interpreterInstructions / 1e9,
                        interpreterInstructions / interpreterOnly / 1e6);
            }
            System.out.printf("  %d vCPU  corral tiers (warm boot): %s%n", cpus, warm.tiers());
            System.out.printf("  %d vCPU  where the software CPU's boot goes: the stretches between two lines of the kernel's log that took"
                    + " it longest beyond QEMU's time for the same two lines (guest seconds; Corral's guest instructions in them):%n", cpus);
            for (String stretch : stretches(warm, qemu, 6)) {
                System.out.println("           " + stretch);
            }
            if (cpus == 1 && interpreterOnly > 0) {
                ratios.add(String.format("boot-linux 1vcpu corral-interpreter-only/qemu-tcg = %.2f", interpreterOnly / qemu.toMarker()));
            }
            ratios.add(String.format("boot-linux %dvcpu corral/qemu-tcg = %.2f", cpus, warm.toMarker() / qemu.toMarker()));
        }
        ratios.forEach(System.out::println);
    }

    static Boot best(List<Boot> boots) {
        return boots.stream().min((a, b) -> Double.compare(a.toMarker(), b.toMarker())).orElseThrow();
    }

    static Boot corral(Path kernel, Path initrd, int cpus, String what) throws Exception {
        var console = new Console();
        var config = new VmConfig("boot-linux", cpus, MEMORY_MIB << 20, Files.readAllBytes(kernel), Files.readAllBytes(initrd), CMDLINE,
                false, VmAccelerator.EMULATED);
        long start = System.nanoTime();
        console.start = start;
        try (var vm = VirtualMachine.create(config, console, new VirtualMachine.Listener() {
            @Override
            public void started() {
            }

            @Override
            public void finished(VirtualMachine.Outcome outcome) {
            }
        })) {
            console.instructions = vm::instructionsRetired;
            vm.start();
            if (!console.marker.await(300, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no init marker from Corral in 300 s:\n" + console.text());
            }
            double toMarker = (console.markerAt - start) / 1e9;
            long instructions = vm.instructionsRetired();
            String tiers = String.valueOf(vm.cpuStats());
            vm.awaitFinished(Duration.ofSeconds(60));
            return new Boot(what, toMarker, uptime(console.text()), (console.firstAt - start) / 1e9, instructions, console.text(),
                    tiers, console.lines());
        }
    }

    static Boot qemu(Path kernel, Path initrd, int cpus) throws Exception {
        var command = List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
                "-no-reboot", "-accel", "tcg", "-cpu", "max", "-M", "q35", "-smp", String.valueOf(cpus), "-m", MEMORY_MIB + "M",
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", CMDLINE);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        var out = new ByteArrayOutputStream();
        long first = -1;
        long markerAt = -1;
        try (InputStream in = p.getInputStream()) {
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (first < 0) {
                    first = System.nanoTime();
                }
                out.write(buffer, 0, n);
                if (markerAt < 0 && MARKER.matcher(out.toString(StandardCharsets.UTF_8)).find()) {
                    markerAt = System.nanoTime();
                }
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String text = out.toString(StandardCharsets.UTF_8);
        if (markerAt < 0) {
            throw new IOException("no init marker from QEMU:\n" + text);
        }
        var lines = text.lines().map(l -> new Line(l, -1)).toList();
        return new Boot("qemu-system-x86_64 -accel tcg -M q35", (markerAt - start) / 1e9, uptime(text), (first - start) / 1e9, -1, text,
                "", lines);
    }

    static double uptime(String console) {
        Matcher m = MARKER.matcher(console);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /**
     * The stretches between consecutive time-stamped lines of {@code corral}'s log that took longest beyond QEMU's time
     * between the same two lines (matched by their text, numbers aside; "-" where QEMU's log has no such pair), each with
     * the guest instructions Corral retired in it and their rate: a rate near the translator's (1 G/s and more) is code
     * that runs translated and is simply long, one near the interpreter's (under 100 M/s) is code that runs once, and a
     * stretch with few instructions is waiting (a timer, a device). The count is read as each line is written (lines the
     * kernel logged before its console was up are written together, so theirs is not known): with more than one vCPU,
     * another vCPU's share is as of its last slice.
     */
    static List<String> stretches(Boot corral, Boot qemu, int count) {
        record Stamped(double at, String text, long instructions) {
        }
        record Stretch(double seconds, double qemuSeconds, double at, long instructions, String from, String to) {
            double excess() {
                return seconds - (Double.isNaN(qemuSeconds) ? 0 : qemuSeconds);
            }
        }
        var qemuAt = new HashMap<String, Double>();
        for (Line l : qemu.lines()) {
            Matcher m = STAMP.matcher(l.text());
            if (m.find()) {
                qemuAt.putIfAbsent(normalized(m.group(2)), Double.parseDouble(m.group(1)));
            }
        }
        var stamped = new ArrayList<Stamped>();
        for (Line l : corral.lines()) {
            Matcher m = STAMP.matcher(l.text());
            if (m.find()) {
                stamped.add(new Stamped(Double.parseDouble(m.group(1)), m.group(2), l.instructions()));
            }
        }
        var stretches = new ArrayList<Stretch>();
        for (int k = 1; k < stamped.size(); k++) {
            Stamped a = stamped.get(k - 1);
            Stamped b = stamped.get(k);
            Double qa = qemuAt.get(normalized(a.text()));
            Double qb = qemuAt.get(normalized(b.text()));
            double q = qa != null && qb != null && qb >= qa ? qb - qa : Double.NaN;
            stretches.add(new Stretch(b.at() - a.at(), q, a.at(), b.instructions() - a.instructions(), a.text(), b.text()));
        }
        return stretches.stream().sorted((x, y) -> Double.compare(y.excess(), x.excess())).limit(count)
                .map(x -> String.format("%5.2f s (QEMU %s) from %5.2f s, %s: %s  ->  %s", x.seconds(),
                        Double.isNaN(x.qemuSeconds()) ? "  -   " : String.format("%4.2f s", x.qemuSeconds()), x.at(),
                        x.instructions() > 0 && x.seconds() > 0
                                ? String.format("%5.0f M instructions, %5.0f M/s", x.instructions() / 1e6, x.instructions() / x.seconds() / 1e6)
                                : "instructions not known (both lines written at once, from the kernel's buffer)",
                        shorten(x.from(), 60), shorten(x.to(), 60)))
                .toList();
    }

    /** A log line's text with its numbers (decimal or hexadecimal) left out, to match the same line of another boot. */
    static String normalized(String text) {
        return text.replaceAll("(0x)?[0-9a-fA-F]*[0-9][0-9a-fA-F]*", "#");
    }

    static String shorten(String s, int length) {
        return s.length() > length ? s.substring(0, length - 3) + "..." : s;
    }

    /**
     * The guest's console, kept, with the times of its first byte and of the marker, and its lines with the guest
     * instructions retired when each ended ({@link #instructions}, set once the VM exists).
     */
    static final class Console implements ConsoleSink {
        final CountDownLatch marker = new CountDownLatch(1);
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        volatile long start, firstAt = -1, markerAt = -1;
        volatile LongSupplier instructions = () -> -1;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private final List<Line> lines = new ArrayList<>();

        @Override
        public synchronized void write(byte b) {
            if (firstAt < 0) {
                firstAt = System.nanoTime();
            }
            bytes.write(b);
            if (b == '\n') {
                String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
                lines.add(new Line(text, instructions.getAsLong()));
                if (markerAt < 0 && MARKER.matcher(text).find()) {
                    markerAt = System.nanoTime();
                    marker.countDown();
                }
                line.reset();
            } else {
                line.write(b);
            }
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        synchronized List<Line> lines() {
            return List.copyOf(lines);
        }
    }
}
