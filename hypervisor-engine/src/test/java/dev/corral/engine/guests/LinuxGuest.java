package dev.corral.engine.guests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The `linux` guest (deploy/guests/linux): Debian's cloud kernel and a busybox initramfs, built by its build.sh into
 * {@code target/guests/linux} once per JVM (the packages come from {@code apt-get download}; build.sh keeps them).
 */
public final class LinuxGuest {

    private static final Path SCRIPT = Path.of("../deploy/guests/linux/build.sh");
    private static final Path OUT = Path.of("target/guests/linux");

    private LinuxGuest() {
    }

    public static byte[] kernel() {
        return read(Built.DIR.resolve("vmlinuz"));
    }

    public static byte[] initramfs() {
        return read(Built.DIR.resolve("initramfs.cpio.gz"));
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Built on first use of the class (the JVM runs this once, thread-safely). */
    private static final class Built {
        static final Path DIR = run();

        private static Path run() {
            try {
                DebianPackages.run(Path.of("."), "sh", SCRIPT.toString(), OUT.toString());
                return OUT;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot build the linux guest: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while building the linux guest", e);
            }
        }
    }
}
