import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.corral.engine.devices.legacy.ConsoleSink;
import dev.corral.engine.net.NetBackend;
import dev.corral.engine.net.Tap;
import dev.corral.engine.storage.RawImage;
import dev.corral.engine.vm.VirtualMachine;
import dev.corral.engine.vm.VmAccelerator;
import dev.corral.engine.vm.VmConfig;

/**
 * bench/disk-net: disk and VM-to-VM network figures measured inside the guest (bench/disk-net/init), Corral's software
 * CPU against QEMU TCG, same kernel, initramfs, fresh raw data disk and virtio devices. Per side two VMs on the bridge
 * run.sh made: A sends to B, pings the host's bridge address, then measures its data disk; B receives and powers off.
 * Usage: java -cp hypervisor-engine/target/classes DiskNetBench.java VMLINUZ INITRAMFS WORKDIR BRIDGE TAP_A TAP_B
 */
public class DiskNetBench {

    static final long MEMORY_MIB = 256;
    static final long DISK_BYTES = 512L << 20;
    static final int SEQ_MIB = 512;
    static final String SERIAL = "bench-data";
    static final int NET_SECONDS = 5;
    static final int RANDOM_REQUESTS = 4000;
    static final int PASSES = 2;
    static final int PORT = 5000;
    static final String HOST_IP = "10.213.77.1";
    static final String IP_A = "10.213.77.2";
    static final String IP_B = "10.213.77.3";
    static final String MAC_A = "02:c0:ff:ee:77:02";
    static final String MAC_B = "02:c0:ff:ee:77:03";
    static final String BASE_CMDLINE = "console=ttyS0 panic=-1 quiet";
    static final Duration LIMIT = Duration.ofSeconds(600);
    static final long START = System.nanoTime();
    static final Pattern RECEIVED = Pattern.compile("bench: recv bytes=([0-9]+)");
    static final Pattern FIELD = Pattern.compile("([A-Za-z_]+)=([0-9.]+)");

    /**
     * A figure: what the guest measured (unit per {@link Metric}), the same span on the host's clock, and the guest
     * instructions Corral's vCPU ran in it and the CPU time its thread used (-1: QEMU).
     */
    record Figure(Map<String, Double> fields, double hostSeconds, long instructions, long vcpuCpuNanos) {
    }

    /** What one side's VM A reported, by name ("seqread", ...), and its whole console (for failures). */
    record Report(String side, Map<String, Figure> figures, List<String> errors, String consoleA, String consoleB, Figure boot) {
    }

    /** The figures printed, in order: the guest's line name, the field, its unit, and the ratio's name. */
    record Metric(String name, String field, String unit, String ratio, boolean lowerIsBetter) {
    }

    static final List<Metric> METRICS = List.of(
            new Metric("seqwrite", "MiBps", "MiB/s", "seq-write", false),
            new Metric("seqread", "MiBps", "MiB/s", "seq-read", false),
            new Metric("rand4k-read", "iops", "IOPS", "rand4k-read", false),
            new Metric("rand4k-write", "iops", "IOPS", "rand4k-write", false),
            new Metric("vm-vm", "MiBps", "MiB/s", "vm-vm", false),
            new Metric("ping", "avg_ms", "ms", "ping-rtt", true));

    static final Metric VM_VM = METRICS.get(4);

    public static void main(String[] args) throws Exception {
        Path kernel = Path.of(args[0]);
        Path initrd = Path.of(args[1]);
        Path work = Path.of(args[2]);
        String bridge = args[3];
        String tapA = args[4];
        String tapB = args[5];
        System.out.printf("cores %d; each VM: 1 vCPU, %d MiB; data disk: raw, %d MiB sparse, fresh per side; command line \"%s\"%n",
                Runtime.getRuntime().availableProcessors(), MEMORY_MIB, DISK_BYTES >> 20, BASE_CMDLINE);
        System.out.printf("disk: %d MiB dd (1 MiB blocks) O_DIRECT write, then read; %d random 4 KiB O_DIRECT reads, then writes"
                + " (at most 20 s each); best of %d passes%n", SEQ_MIB, RANDOM_REQUESTS, PASSES);
        System.out.printf("network: one TCP stream A->B for %d s (64 KiB writes) on bridge %s; 10 pings A->host%n", NET_SECONDS, bridge);

        Report qemu = qemu(kernel, initrd, work, tapA, tapB, true);
        Report plainQemu = qemu(kernel, initrd, work, tapA, tapB, false);
        Report corral = corral(kernel, initrd, work, bridge, tapA, tapB);

        System.out.printf("%n%-14s %-6s %16s %16s   (the guest's clock; the host's clock for the same span in brackets)%n",
                "figure", "unit", "qemu-tcg", "corral");
        for (Metric m : METRICS) {
            System.out.printf("%-14s %-6s %16s %16s%n", m.ratio(), m.unit(), show(qemu, m), show(corral, m));
        }
        System.out.printf("%-14s %-6s %16s %16s   (QEMU's tap without virtio-net headers, vnet_hdr=off: no checksum offload or TSO,"
                + " as Corral's device)%n", "vm-vm-no-tso", "MiB/s", show(plainQemu, VM_VM), show(corral, VM_VM));
        cpuShare(corral);
        for (Report r : List.of(qemu, plainQemu, corral)) {
            r.errors().forEach(e -> System.out.println(r.side() + ": " + e));
        }
        for (Metric m : METRICS) {
            Double q = value(qemu, m);
            Double c = value(corral, m);
            String ratio = q == null || c == null ? "n/a (" + (c == null ? "corral" : "qemu") + " has no figure: see above)"
                    : String.format("%.3f", c / q);
            System.out.printf("disk-net %s corral/qemu = %s%s%n", m.ratio(), ratio, m.lowerIsBetter() ? " (lower is better)" : "");
        }
        Double plain = value(plainQemu, VM_VM);
        Double c = value(corral, VM_VM);
        System.out.printf("disk-net vm-vm-no-tso corral/qemu = %s%n",
                plain == null || c == null ? "n/a" : String.format("%.3f", c / plain));
        if (qemu.figures().isEmpty()) {
            System.exit(1); // nothing ran: the reference itself failed
        }
    }

    /**
     * How busy Corral's vCPU was in each span: guest instructions per second of host time (against its rate from start
     * to the init line, nearly all CPU work), and the share of the span its thread spent on a core (its CPU time; the
     * thread parks while the guest halts). A thread on a core the whole span is the limit: the guest never waited for
     * the device, the host or the peer.
     */
    static void cpuShare(Report corral) {
        Figure boot = corral.boot();
        if (boot == null || boot.instructions() <= 0) {
            return;
        }
        System.out.printf("%ncorral VM A's vCPU: boot to init %.2f G guest instructions in %.1f s = %.0f M/s, its thread on a core"
                + " %.0f%% of the time; in each span:%n", boot.instructions() / 1e9, boot.hostSeconds(),
                boot.instructions() / boot.hostSeconds() / 1e6, busy(boot));
        for (Metric m : METRICS) {
            Figure f = corral.figures().get(m.name());
            if (f == null || f.instructions() < 0 || Double.isNaN(f.hostSeconds())) {
                continue;
            }
            Double ops = f.fields().containsKey("ops") ? f.fields().get("ops")
                    : f.fields().containsKey("bytes") ? f.fields().get("bytes") / 1048576 : null;
            String per = ops == null ? "" : String.format(", %.0f k instructions per %s", f.instructions() / ops / 1e3,
                    f.fields().containsKey("ops") ? "request" : "MiB");
            System.out.printf("  %-14s %6.0f M/s, on a core %3.0f%%%s%n", m.ratio(), f.instructions() / f.hostSeconds() / 1e6,
                    busy(f), per);
        }
    }

    /** The share of the span the vCPU thread spent on a core, in percent. */
    static double busy(Figure f) {
        return f.vcpuCpuNanos() < 0 ? Double.NaN : 100.0 * f.vcpuCpuNanos() / 1e9 / f.hostSeconds();
    }

    static Double value(Report r, Metric m) {
        Figure f = r.figures().get(m.name());
        return f == null ? null : f.fields().get(m.field());
    }

    static String show(Report r, Metric m) {
        Figure f = r.figures().get(m.name());
        Double v = value(r, m);
        if (v == null) {
            return "n/a";
        }
        String guest = v >= 100 ? String.format("%.0f", v) : String.format("%.2f", v);
        if (Double.isNaN(f.hostSeconds())) {
            return guest;
        }
        // The same figure over the host's span between the guest's "begin" line and its result line.
        double host = switch (m.field()) {
            case "MiBps" -> f.fields().get("bytes") / 1048576.0 / f.hostSeconds();
            case "iops" -> f.fields().get("ops") / f.hostSeconds();
            default -> Double.NaN;
        };
        return Double.isNaN(host) ? guest : guest + (host >= 100 ? String.format(" [%.0f]", host) : String.format(" [%.2f]", host));
    }

    static String cmdlineA(boolean network, boolean disk) {
        String net = network
                ? String.format(" ip=%s::0.0.0.0:255.255.255.0:a:eth0:off bench.send=%s:%d:%d", IP_A, IP_B, PORT, NET_SECONDS)
                : "";
        return BASE_CMDLINE + net + (disk ? (network ? " bench.ping=" + HOST_IP : "") + " bench.disk=" + SERIAL + " bench.seq=" + SEQ_MIB
                + " bench.rand=" + RANDOM_REQUESTS + " bench.passes=" + PASSES : "");
    }

    static String cmdlineB() {
        return String.format("%s ip=%s::0.0.0.0:255.255.255.0:b:eth0:off bench.recv=%d", BASE_CMDLINE, IP_B, PORT);
    }

    static Path freshDisk(Path work, String side) throws Exception {
        Path disk = work.resolve(side + "-data.raw");
        Files.deleteIfExists(disk);
        RawImage.create(disk, DISK_BYTES).close();
        return disk;
    }

    /**
     * QEMU's pair. With {@code offloads} (QEMU's default: the tap carries virtio-net headers, so the device offers
     * checksum offload and TSO) VM A also pings and measures its disk; without (vnet_hdr=off: no offload features,
     * like Corral's device) it only streams.
     */
    static Report qemu(Path kernel, Path initrd, Path work, String tapA, String tapB, boolean offloads) throws Exception {
        String side = offloads ? "qemu" : "qemu-vnet_hdr=off";
        Path disk = offloads ? freshDisk(work, side) : null;
        String vnetHdr = offloads ? "" : ",vnet_hdr=off";
        Function<String, List<String>> common = cmdline -> new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config",
                "-display", "none", "-serial", "stdio", "-no-reboot", "-accel", "tcg", "-cpu", "max", "-M", "q35", "-smp", "1", "-m",
                MEMORY_MIB + "M", "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", cmdline));
        List<String> a = common.apply(cmdlineA(true, offloads));
        if (disk != null) {
            a.addAll(List.of("-drive", "file=" + disk + ",format=raw,if=none,id=d0", "-device",
                    "virtio-blk-pci,drive=d0,serial=" + SERIAL + ",disable-legacy=on"));
        }
        a.addAll(List.of("-netdev", "tap,id=n0,ifname=" + tapA + ",script=no,downscript=no" + vnetHdr, "-device",
                "virtio-net-pci,netdev=n0,mac=" + MAC_A + ",disable-legacy=on"));
        List<String> b = common.apply(cmdlineB());
        b.addAll(List.of("-netdev", "tap,id=n0,ifname=" + tapB + ",script=no,downscript=no" + vnetHdr, "-device",
                "virtio-net-pci,netdev=n0,mac=" + MAC_B + ",disable-legacy=on"));
        System.out.println(side + " A: " + String.join(" ", a));
        var consoleB = new Console();
        var consoleA = new Console();
        Process pb = start(b, consoleB);
        Process pa = start(a, consoleA);
        boolean finished = pa.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS) & pb.waitFor(30, TimeUnit.SECONDS);
        pa.destroyForcibly();
        pb.destroyForcibly();
        pa.waitFor();
        pb.waitFor();
        consoleA.awaitEnd();
        consoleB.awaitEnd();
        if (disk != null) {
            Files.deleteIfExists(disk);
        }
        return report(side, consoleA, consoleB, finished ? null : "QEMU did not finish in " + LIMIT.toSeconds() + " s");
    }

    static Process start(List<String> command, Console console) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        Thread.ofPlatform().daemon(true).start(() -> {
            try (var in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    console.line(line);
                }
            } catch (IOException e) {
                console.line("(reading QEMU's output failed: " + e.getMessage() + ")");
            } finally {
                console.ended();
            }
        });
        return p;
    }

    static Report corral(Path kernel, Path initrd, Path work, String bridge, String tapA, String tapB) throws Exception {
        Path disk = freshDisk(work, "corral");
        byte[] kernelBytes = Files.readAllBytes(kernel);
        byte[] initrdBytes = Files.readAllBytes(initrd);
        NetBackend netA = null;
        NetBackend netB = null;
        String noNetwork = null;
        try {
            netA = Tap.open(tapA);
            netB = Tap.open(tapB);
            for (String tap : List.of(tapA, tapB)) { // in case the backend made a fresh tap rather than taking run.sh's
                ip("link", "set", tap, "master", bridge, "up");
            }
        } catch (IOException e) {
            noNetwork = "no VM->VM figures: Corral cannot open a tap (" + e.getMessage() + ")";
            System.out.println("corral: " + noNetwork + "; measuring the disk alone");
            for (NetBackend opened : new NetBackend[] {netA, netB}) {
                if (opened != null) {
                    opened.close();
                }
            }
            netA = null;
            netB = null;
        }
        var consoleA = new Console();
        var consoleB = new Console();
        String failure = noNetwork;
        try (var image = RawImage.open(disk, false)) {
            List<VmConfig.Disk> disks = List.of(new VmConfig.Disk(image, SERIAL));
            var configA = new VmConfig("disk-net-a", 1, MEMORY_MIB << 20, kernelBytes, initrdBytes, cmdlineA(netA != null, true),
                    false, disks, VmAccelerator.EMULATED, netA == null ? List.of() : List.of(new VmConfig.Nic(netA, MAC_A)));
            VirtualMachine vmB = null;
            if (netB != null) {
                var configB = new VmConfig("disk-net-b", 1, MEMORY_MIB << 20, kernelBytes, initrdBytes, cmdlineB(), false, List.of(),
                        VmAccelerator.EMULATED, List.of(new VmConfig.Nic(netB, MAC_B)));
                vmB = VirtualMachine.create(configB, consoleB, new Quiet());
            }
            try (var vmA = VirtualMachine.create(configA, consoleA, new Quiet()); var b = vmB) {
                if (b != null) {
                    b.start();
                }
                consoleA.instructions = vmA::instructionsRetired;
                consoleA.startNanos = System.nanoTime();
                vmA.start();
                boolean finished = vmA.awaitFinished(LIMIT) & (b == null || b.awaitFinished(Duration.ofSeconds(30)));
                if (!finished) {
                    failure = (failure == null ? "" : failure + "; ") + "Corral's VMs did not finish in " + LIMIT.toSeconds() + " s";
                }
            }
        } finally {
            if (netA != null) {
                netA.close();
            }
            if (netB != null) {
                netB.close();
            }
            Files.deleteIfExists(disk);
        }
        return report("corral", consoleA, consoleB, failure);
    }

    static void ip(String... args) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out.strip());
        }
    }

    /** Reads VM A's "bench:" lines into figures, each with the host's time since its "begin" line where there is one. */
    static Report report(String side, Console a, Console b, String failure) throws IOException {
        String keep = System.getenv("DISK_NET_CONSOLES");
        if (keep != null) { // where to keep both guests' consoles, for a look at what the guests did
            Files.createDirectories(Path.of(keep));
            Files.writeString(Path.of(keep, side + "-a.log"), stamped(a));
            Files.writeString(Path.of(keep, side + "-b.log"), stamped(b));
        }
        var figures = new LinkedHashMap<String, Figure>();
        var errors = new ArrayList<String>();
        if (failure != null) {
            errors.add(failure);
        }
        var begins = new LinkedHashMap<String, Console.Line>();
        boolean done = false;
        Figure boot = null;
        for (Console.Line line : a.lines()) {
            String text = line.text();
            int at = text.indexOf("bench: ");
            if (at < 0) {
                continue;
            }
            String rest = text.substring(at + 7).strip();
            String name = rest.split(" ", 2)[0];
            switch (name) {
                case "begin" -> begins.put(rest.substring(6).strip(), line);
                case "error" -> errors.add("guest A: " + rest);
                case "done" -> done = true;
                case "init" -> boot = new Figure(Map.of(), (line.nanos() - a.startNanos) / 1e9, line.instructions(), line.cpuNanos());
                default -> {
                    Matcher m = FIELD.matcher(rest);
                    var fields = new LinkedHashMap<String, Double>();
                    while (m.find()) {
                        fields.put(m.group(1), Double.parseDouble(m.group(2)));
                    }
                    if (!fields.isEmpty()) {
                        Console.Line begin = begins.get(name);
                        var figure = begin == null ? new Figure(fields, Double.NaN, -1, -1)
                                : new Figure(fields, (line.nanos() - begin.nanos()) / 1e9,
                                        begin.instructions() < 0 ? -1 : line.instructions() - begin.instructions(),
                                        begin.cpuNanos() < 0 ? -1 : line.cpuNanos() - begin.cpuNanos());
                        figures.merge(name, figure, DiskNetBench::better);
                    }
                }
            }
        }
        Figure sent = figures.get("vm-vm");
        for (Console.Line line : b.lines()) {
            String text = line.text();
            if (text.contains("bench: error")) {
                errors.add("guest B: " + text.substring(text.indexOf("bench: error") + 7));
            }
            Matcher received = RECEIVED.matcher(text);
            if (sent != null && received.find() && Long.parseLong(received.group(1)) != sent.fields().get("bytes")) {
                // The sender counts what it wrote and waits for the receiver's close: both must agree.
                errors.add("guest B received " + received.group(1) + " bytes of the " + sent.fields().get("bytes").longValue() + " sent");
                figures.remove("vm-vm");
            }
        }
        if (!done) {
            errors.add("guest A did not finish; its console:\n" + tail(a.text(), 40)
                    + (b.lines().isEmpty() ? "" : "\nguest B:\n" + tail(b.text(), 20)));
        }
        return new Report(side, figures, errors, a.text(), b.text(), boot);
    }

    /** Of two passes' figures, the better one by its metric's field (the disk runs {@link #PASSES} times). */
    static Figure better(Figure a, Figure b) {
        for (Metric m : METRICS) {
            Double x = a.fields().get(m.field());
            Double y = b.fields().get(m.field());
            if (x != null && y != null) {
                return (m.lowerIsBetter() ? y < x : y > x) ? b : a;
            }
        }
        return b;
    }

    static String stamped(Console console) {
        var out = new StringBuilder();
        var lines = console.lines();
        lines.forEach(l -> out.append(String.format("%9.3f %s%n", (l.nanos() - START) / 1e9, l.text())));
        return out.toString();
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
    }

    static final class Quiet implements VirtualMachine.Listener {
        @Override
        public void started() {
        }

        @Override
        public void finished(VirtualMachine.Outcome outcome) {
        }
    }

    /** A guest's console as lines, each stamped with the host's clock when its newline came. */
    static final class Console implements ConsoleSink {
        private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
        record Line(long nanos, String text, long instructions, long cpuNanos) {
        }

        private final List<Line> lines = new ArrayList<>();
        /** The guest instructions run so far (Corral's VM, read on its vCPU thread as it writes), or -1. */
        volatile java.util.function.LongSupplier instructions = () -> -1;
        volatile long startNanos;
        private final StringBuilder line = new StringBuilder();
        private final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);

        @Override
        public synchronized void write(byte b) {
            if (b == '\n') {
                long counted = instructions.getAsLong();
                // Corral writes the console on the vCPU's own thread: its CPU time so far.
                long cpu = counted < 0 ? -1 : THREADS.getCurrentThreadCpuTime();
                lines.add(new Line(System.nanoTime(), line.toString().replace("\r", ""), counted, cpu));
                line.setLength(0);
            } else {
                line.append((char) (b & 0xff));
            }
        }

        synchronized void line(String text) {
            lines.add(new Line(System.nanoTime(), text, -1, -1));
        }

        void ended() {
            end.countDown();
        }

        void awaitEnd() throws InterruptedException {
            end.await(10, TimeUnit.SECONDS);
        }

        synchronized List<Line> lines() {
            var all = new ArrayList<>(lines);
            if (!line.isEmpty()) {
                all.add(new Line(System.nanoTime(), line.toString(), -1, -1));
            }
            return all;
        }

        String text() {
            var out = new StringBuilder();
            lines().forEach(l -> out.append(l.text()).append('\n'));
            return out.toString();
        }
    }
}
