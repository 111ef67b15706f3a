import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipFile;

/**
 * The name of an ahead-of-time cache (deploy/lib/aot.sh) for a Quarkus build: a hash of this JDK, of what the build's
 * files hold (every jar entry's name, size and CRC, every other file's bytes) and of the extra files named (what
 * trains the cache, the JVM options it runs with). A rebuild of the same code, whose jars differ only in their
 * timestamps, keeps its cache; a change of code, JDK, training or options makes a new one. Quarkus's generated classes
 * ({@code quarkus/generated-bytecode.jar}) differ in a few constants, and some in size, from one build of the same code
 * to the next: for them the names alone are taken. A cache stale for one of them costs that class's profile only: the
 * JVM takes a class from the cache only when its bytes are the ones recorded.
 *
 * <p>Usage: java AotKey.java BUILD_DIR [FILE...]
 */
public class AotKey {

    public static void main(String[] args) throws Exception {
        var digest = MessageDigest.getInstance("SHA-256");
        digest.update((Runtime.version() + " " + System.getProperty("java.home") + "\n").getBytes());
        for (int i = 1; i < args.length; i++) {
            digest.update(Files.readAllBytes(Path.of(args[i])));
        }
        Path dir = Path.of(args[0]);
        List<Path> files;
        try (var walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (var file : files) {
            digest.update((dir.relativize(file) + "\n").getBytes());
            if (file.toString().endsWith(".jar")) {
                boolean generated = file.endsWith(Path.of("quarkus", "generated-bytecode.jar"));
                try (var jar = new ZipFile(file.toFile())) {
                    jar.stream().map(e -> e.getName() + (generated ? "" : " " + e.getSize() + " " + e.getCrc()) + "\n")
                            .sorted().forEach(e -> digest.update(e.getBytes()));
                }
            } else {
                digest.update(Files.readAllBytes(file));
            }
        }
        System.out.println(HexFormat.of().formatHex(digest.digest(), 0, 8));
    }
}
