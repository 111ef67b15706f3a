package dev.corral.engine.cpu.difftest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.cpu.Cpu;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every saved regression vector ({@code src/test/resources/cpu-regressions/}) against the
 * software CPU and compares with the outcome the host CPU gave when the vector was recorded. Needs no
 * native harness, so it runs on any host.
 */
class CpuRegressionReplayTest {

    @TestFactory
    Stream<DynamicTest> everySavedVectorMatchesTheRecordedHostOutcome() throws IOException, URISyntaxException {
        URL dir = getClass().getResource("/cpu-regressions");
        assertThat(dir).as("the cpu-regressions resource folder").isNotNull();
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
            files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertThat(files).as("saved regression vectors").isNotEmpty();
        return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            RegressionVector v = RegressionVector.parse(Files.readString(file, StandardCharsets.UTF_8));
            for (Cpu.Translation tier : List.of(Cpu.Translation.OFF, Cpu.Translation.ALWAYS)) {
                Outcome actual = SoftwareRun.run(v.c(), tier);
                assertThat(Comparison.differences(v.c(), v.expected(), actual))
                        .as("%s (translation %s): %s", file.getFileName(), tier, v.c().listing()).isEmpty();
            }
        }));
    }
}
