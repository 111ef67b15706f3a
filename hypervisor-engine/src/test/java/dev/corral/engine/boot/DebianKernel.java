package dev.corral.engine.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.guests.DebianPackages;

/**
 * The Debian cloud kernel, a real guest no one here wrote: fetched with {@code apt-get download} into
 * {@code target/guests/} on first use (never committed), and its uncompressed vmlinux pulled out of the LZ4 bzImage
 * with Debian's own {@code lz4} (also fetched, not installed).
 */
final class DebianKernel {

    static final Path DIR = Path.of("target", "guests", "debian-kernel");

    private DebianKernel() {
    }

    /** The bzImage ({@code /boot/vmlinuz-*}). */
    static synchronized Path bzImage() throws IOException, InterruptedException {
        Path image = DIR.resolve("vmlinuz");
        if (Files.exists(image)) {
            return image;
        }
        Files.createDirectories(DIR);
        String meta = "linux-image-cloud-amd64";
        String depends = DebianPackages.run(DIR, "apt-cache", "depends", meta);
        String pkg = depends.lines().map(String::trim).filter(l -> l.startsWith("Depends: linux-image-"))
                .map(l -> l.substring("Depends: ".length())).findFirst()
                .orElseThrow(() -> new IOException("apt-cache does not say which kernel " + meta + " depends on:\n" + depends));
        Path deb = DebianPackages.fetch(pkg, DIR);
        Path unpacked = DIR.resolve("unpacked");
        Files.createDirectories(unpacked);
        DebianPackages.run(DIR, "sh", "-c", "dpkg-deb --fsys-tarfile '" + deb.getFileName() + "' | tar -x -C unpacked --wildcards './boot/vmlinuz-*'");
        Path vmlinuz = only(unpacked.resolve("boot"), "vmlinuz-");
        Files.copy(vmlinuz, image);
        return image;
    }

    /** The uncompressed kernel ELF (with the PVH entry note), as the kernel's extract-vmlinux gets it. */
    static synchronized Path vmlinux() throws IOException, InterruptedException {
        Path vmlinux = DIR.resolve("vmlinux");
        if (Files.exists(vmlinux)) {
            return vmlinux;
        }
        byte[] image = Files.readAllBytes(bzImage());
        // The LZ4 legacy frame magic 0x184c2102, little-endian.
        int at = indexOf(image, new byte[] {0x02, 0x21, 0x4c, 0x18});
        if (at < 0) {
            throw new IOException("the Debian bzImage is not LZ4-compressed (no LZ4 legacy magic); the test needs updating");
        }
        Path lz4 = lz4();
        Path payload = DIR.resolve("payload.lz4");
        Files.write(payload, java.util.Arrays.copyOfRange(image, at, image.length));
        // lz4 stops at the end of the frame and complains about the trailing bytes: the output is still complete.
        var p = new ProcessBuilder(lz4.toString(), "-d", "-c", payload.toString()).redirectOutput(vmlinux.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor(120, TimeUnit.SECONDS);
        if (Files.size(vmlinux) < 1_000_000) {
            Files.deleteIfExists(vmlinux);
            throw new IOException("lz4 did not produce a kernel from the bzImage payload");
        }
        return vmlinux;
    }

    private static Path lz4() throws IOException, InterruptedException {
        Path tool = DIR.resolve("lz4tool/usr/bin/lz4");
        if (Files.isExecutable(tool)) {
            return tool;
        }
        DebianPackages.run(DIR, "dpkg-deb", "-x", DebianPackages.fetch("lz4", DIR).getFileName().toString(), "lz4tool");
        return tool;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static Path only(Path dir, String prefix) throws IOException {
        try (var files = Files.list(dir)) {
            var found = files.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().toList();
            if (found.isEmpty()) {
                throw new IOException("nothing named " + prefix + "* in " + dir);
            }
            return found.getLast();
        }
    }
}
