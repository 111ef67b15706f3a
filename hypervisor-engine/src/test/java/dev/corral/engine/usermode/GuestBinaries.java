package dev.corral.engine.usermode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import dev.corral.engine.guests.DebianPackages;

/**
 * The guests the user-mode tests run, built or fetched on first use into {@code target/guests/} and
 * cached there: Debian's busybox-static ({@code apt-get download} + {@code dpkg-deb -x}) and our C
 * programs compiled with {@code gcc -static}. Nothing here is committed.
 */
final class GuestBinaries {

    static final Path DIR = Path.of("target/guests").toAbsolutePath();
    private static final Path SOURCES = Path.of("src/test/c").toAbsolutePath();

    private GuestBinaries() {}

    /** /bin/busybox from the busybox-static package. */
    static synchronized Path busybox() throws IOException, InterruptedException {
        Path busybox = DIR.resolve("busybox-static/bin/busybox");
        if (Files.isExecutable(busybox)) {
            return busybox;
        }
        Path deb = DebianPackages.fetch("busybox-static", DIR.resolve("download"));
        Path extracted = DIR.resolve("busybox-static.tmp");
        DebianPackages.run(DIR, "dpkg-deb", "-x", deb.toString(), extracted.toString());
        Files.move(extracted, DIR.resolve("busybox-static"), StandardCopyOption.ATOMIC_MOVE);
        return busybox;
    }

    /** src/test/c/checksum.c, built with {@code gcc -O2 -static}. */
    static Path checksum() throws IOException, InterruptedException {
        return gcc("checksum", "checksum", "-O2");
    }

    /** The same program as a static PIE: the loader places it at a base and the binary relocates itself. */
    static Path checksumPie() throws IOException, InterruptedException {
        return gcc("checksum", "checksum-pie", "-O2", "-static-pie");
    }

    /**
     * src/test/c/shimprobe.c: a libc-free guest (no SSE either) that exercises the syscall shim one
     * scenario at a time, so the process model is tested with the simplest instructions.
     */
    static Path shimProbe() throws IOException, InterruptedException {
        return gcc("shimprobe", "shimprobe", "-O1", "-nostdlib", "-mgeneral-regs-only", "-fno-stack-protector", "-fno-pie", "-no-pie",
                "-fno-asynchronous-unwind-tables");
    }

    private static synchronized Path gcc(String name, String output, String... flags) throws IOException, InterruptedException {
        Path source = SOURCES.resolve(name + ".c");
        Path out = DIR.resolve(output);
        if (Files.isExecutable(out) && Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(source)) >= 0) {
            return out;
        }
        Files.createDirectories(DIR);
        List<String> cmd = new java.util.ArrayList<>(List.of("gcc"));
        if (!List.of(flags).contains("-static-pie")) {
            cmd.add("-static");
        }
        cmd.addAll(List.of("-o", out.toString()));
        cmd.addAll(List.of(flags));
        cmd.add(source.toString());
        DebianPackages.run(DIR, cmd.toArray(String[]::new));
        return out;
    }
}
