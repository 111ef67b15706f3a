package dev.corral.engine.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds out which {@link Accelerator} this host offers, from the files Linux exposes: the {@code /dev/kvm} node,
 * the loaded KVM modules under {@code /sys/module}, and the CPU flags in {@code /proc/cpuinfo}.
 *
 * <p>The root is a parameter so tests (and recorded trees of other hosts) can be probed like the real one. A
 * host is never assumed to be what the build machine was: a kvm module without a device node is not KVM, and
 * a device node without VT-x/AMD-V is not hardware KVM.
 */
public final class AcceleratorProbe {

    private static final Pattern HARDWARE_FLAG = Pattern.compile("^flags\\s*:.*\\b(vmx|svm)\\b", Pattern.MULTILINE);

    private final Path root;

    public AcceleratorProbe(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    /** Probes the host this JVM runs on. */
    public static AcceleratorProbe ofHost() {
        return new AcceleratorProbe(Path.of("/"));
    }

    public Finding probe() {
        Path kvm = root.resolve("dev/kvm");
        boolean pvmModule = Files.isDirectory(root.resolve("sys/module/kvm_pvm"));
        if (!Files.exists(kvm)) {
            String why = pvmModule || Files.isDirectory(root.resolve("sys/module/kvm"))
                    ? "a KVM module is loaded but there is no /dev/kvm device node"
                    : "there is no /dev/kvm";
            return new Finding(Accelerator.EMULATED_ONLY, why);
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return new Finding(Accelerator.EMULATED_ONLY, "/dev/kvm exists but this user cannot open it read-write");
        }
        if (pvmModule) {
            return new Finding(Accelerator.KVM_PVM, "/dev/kvm is provided by kvm_pvm (no hardware virtualization)");
        }
        if (hasHardwareVirtualization()) {
            return new Finding(Accelerator.KVM_HARDWARE, "/dev/kvm with VT-x/AMD-V");
        }
        return new Finding(Accelerator.KVM_PVM, "/dev/kvm without VT-x/AMD-V in the CPU flags: treated as software KVM");
    }

    private boolean hasHardwareVirtualization() {
        Path cpuinfo = root.resolve("proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return false;
        }
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags")).anyMatch(l -> HARDWARE_FLAG.matcher(l).find());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cpuinfo, e);
        }
    }

    /** What was found, and the reason in words (for logs and node inventory). */
    public record Finding(Accelerator accelerator, String reason) {
    }
}
