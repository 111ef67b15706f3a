package dev.corral.engine.cpu.user;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        Path download = DIR.resolve("download");
        Files.createDirectories(download);
        run(download, "apt-get", "download", "busybox-static");
        Path deb;
        try (var list = Files.list(download)) {
            deb = list.filter(p -> p.getFileName().toString().startsWith("busybox-static") && p.toString().endsWith(".deb"))
                    .findFirst().orElseThrow(() -> new IOException("apt-get download busybox-static left no .deb in " + download));
        }
        Path extracted = DIR.resolve("busybox-static.tmp");
        run(DIR, "dpkg-deb", "-x", deb.toString(), extracted.toString());
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
        run(DIR, cmd.toArray(String[]::new));
        return out;
    }

    /** Runs a host command; its output goes to a log that the failure message quotes. */
    static void run(Path dir, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("guest-build", ".log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed: " + Files.readString(log));
        }
        Files.deleteIfExists(log);
    }
}
