package dev.corral.embedded;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

final class TempDirectories {
    private TempDirectories() {
    }

    static Path create(String prefix) throws IOException {
        return Files.createTempDirectory(prefix);
    }

    static void deleteQuietly(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: a leftover temporary directory is harmless.
        }
    }
}
