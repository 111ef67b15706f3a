package dev.corral.engine.guests;

import java.nio.file.Path;

/**
 * The smp test guest (deploy/guests/smp), built from source with its build.sh into {@code target/} once per JVM: a
 * bzImage whose bootstrap processor starts the others with INIT/SIPI and has each print its local APIC id on COM1.
 */
public final class SmpImage {

    private static final Path SCRIPT = Path.of("../deploy/guests/smp/build.sh");
    private static final Path OUT = Path.of("target/guests/smp/smp");

    private SmpImage() {
    }

    /** The image's bytes; builds it on first use. Throws if binutils is missing (build.sh says so). */
    public static byte[] bytes() {
        return DebianPackages.read(Built.PATH);
    }

    /** The built image's path; builds it on first use. */
    public static Path build() {
        return Built.PATH;
    }

    /** The console output of a run where all of {@code cpus} CPUs came up. */
    public static String expectedConsole(int cpus) {
        var out = new StringBuilder("corral smp: booted on apic id 0\r\n");
        for (int id = 1; id < cpus; id++) {
            out.append("corral smp: apic id ").append(id).append(" up\r\n");
        }
        return out.append("corral smp: ").append(cpus).append(" of ").append(cpus).append(" CPUs up\r\n").toString();
    }

    private static final class Built {
        static final Path PATH = DebianPackages.buildGuest(SCRIPT, OUT, "smp");
    }
}
