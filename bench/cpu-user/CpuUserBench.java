import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.corral.engine.cpu.Cpu;
import dev.corral.engine.usermode.UserMode;
import dev.corral.engine.usermode.UserModeConfig;

/**
 * bench/cpu-user: the same static binaries natively, under qemu-x86_64 and on Corral's software CPU,
 * in one run. Usage: java -cp hypervisor-engine/target/classes CpuUserBench.java CHECKSUM BUSYBOX MIB
 */
public class CpuUserBench {

    record Timing(String name, double seconds, long instructions, String output, String stats) {}

    public static void main(String[] args) throws Exception {
        Path checksum = Path.of(args[0]);
        Path busybox = Path.of(args[1]);
        String mib = args.length > 2 ? args[2] : "8";
        String qemu = args.length > 3 ? args[3] : "qemu-x86_64";
        String script = "seq 1 20000 | sort -rn | md5sum; i=0; while [ $i -lt 300 ]; do i=$((i+1)); done; echo $i";
        List<String> checksumArgv = List.of(checksum.toString(), mib);
        List<String> busyboxArgv = List.of(busybox.toString(), "sh", "-c", script);

        System.out.printf("cores %d, checksum over %s MiB, busybox sh -c '%s'%n",
                Runtime.getRuntime().availableProcessors(), mib, script);
        List<String[]> ratios = new ArrayList<>();
        for (var workload : List.of(Map.entry("checksum", checksumArgv), Map.entry("busybox", busyboxArgv))) {
            String name = workload.getKey();
            List<String> argv = workload.getValue();
            // The machine is shared: take the best of several runs for every contender.
            Timing nat = best(5, () -> host(name + " native (best of 5)", new ArrayList<>(argv)));
            List<String> q = new ArrayList<>(List.of(qemu));
            q.addAll(argv);
            Timing qemuRun = best(5, () -> host(name + " qemu-x86_64 (best of 5)", q));
            Timing cold = soft(name + " corral (first run, cold JIT)", argv, Cpu.Translation.ON);
            Timing warm = best(3, () -> soft(name + " corral (best of 3 warm runs)", argv, Cpu.Translation.ON));
            Timing interp = best(2, () -> soft(name + " corral interpreter only (best of 2)", argv, Cpu.Translation.OFF));
            for (Timing t : List.of(nat, qemuRun, cold, warm, interp)) {
                String ips = t.instructions > 0 ? String.format(", %.1f M instructions/s (%d instructions)",
                        t.instructions / t.seconds / 1e6, t.instructions) : "";
                System.out.printf("  %-40s %8.3f s%s%n", t.name, t.seconds, ips);
            }
            System.out.println("  corral tiers (best warm run): " + warm.stats);
            if (!interp.output.equals(nat.output)) {
                System.out.println("  OUTPUT DIFFERS: native " + nat.output.strip() + " | corral interpreter " + interp.output.strip());
            }
            if (!warm.output.equals(nat.output) || !qemuRun.output.equals(nat.output)) {
                System.out.println("  OUTPUT DIFFERS: native " + nat.output.strip() + " | qemu " + qemuRun.output.strip()
                        + " | corral " + warm.output.strip());
            }
            ratios.add(new String[] {name, String.format("%.1f", warm.seconds / qemuRun.seconds),
                    String.format("%.1f", warm.seconds / nat.seconds), String.format("%.1f", interp.seconds / qemuRun.seconds)});
        }
        for (String[] r : ratios) {
            System.out.printf("cpu-user %s corral-interpreter-only/qemu = %s%n", r[0], r[3]);
        }
        for (String[] r : ratios) {
            System.out.printf("cpu-user %s corral/qemu = %s%n", r[0], r[1]);
            System.out.printf("cpu-user %s corral/native = %s%n", r[0], r[2]);
        }
    }

    interface Run {
        Timing once() throws Exception;
    }

    static Timing best(int times, Run run) throws Exception {
        Timing best = null;
        for (int i = 0; i < times; i++) {
            Timing t = run.once();
            if (best == null || t.seconds < best.seconds) {
                best = t;
            }
        }
        return best;
    }

    static Timing host(String name, List<String> command) throws Exception {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return new Timing(name, (System.nanoTime() - start) / 1e9, 0, out, "");
    }

    static Timing soft(String name, List<String> argv, Cpu.Translation mode) throws Exception {
        var out = new ByteArrayOutputStream();
        long start = System.nanoTime();
        var r = UserMode.run(UserModeConfig.defaults().withTranslation(mode), Path.of(argv.get(0)), argv,
                Map.of("PATH", "/usr/bin:/bin"), InputStream.nullInputStream(), out, out, Path.of("").toAbsolutePath());
        return new Timing(name, (System.nanoTime() - start) / 1e9, r.instructions(), out.toString(), r.cpu().toString());
    }
}
