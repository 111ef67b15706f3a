package dev.corral.engine.guests;

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
        return DebianPackages.read(Built.DIR.resolve("vmlinuz"));
    }

    public static byte[] initramfs() {
        return DebianPackages.read(Built.DIR.resolve("initramfs.cpio"));
    }

    /** Built on first use of the class (the JVM runs this once, thread-safely). */
    private static final class Built {
        static final Path DIR = DebianPackages.buildGuest(SCRIPT, OUT, "linux");
    }
}
