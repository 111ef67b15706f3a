package dev.corral.engine.machine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The PC model must run under either CPU backend, so the buses and devices may not reach for KVM, native
 * calls, the CPU or the VM that drives them (ARCHITECTURE.md: devices see only offsets in their own range).
 * Checked on the sources, since the module has no ArchUnit.
 */
class LayeringTest {

    private static final Path SOURCES = Path.of("src/main/java/dev/corral/engine");
    private static final List<String> FORBIDDEN = List.of(
            "dev.corral.engine.kvm", "dev.corral.engine.sys", "dev.corral.engine.cpu", "dev.corral.engine.vm",
            "java.lang.foreign");

    @Test
    void busesAndDevicesDependOnNeitherABackendNorTheVm() throws IOException {
        var violations = new ArrayList<String>();
        for (var dir : List.of(SOURCES.resolve("machine"), SOURCES.resolve("devices"))) {
            try (var files = Files.walk(dir)) {
                for (var file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    for (var line : Files.readAllLines(file)) {
                        if (line.startsWith("import ") && FORBIDDEN.stream().anyMatch(line::contains)) {
                            violations.add(file + ": " + line);
                        }
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }
}
