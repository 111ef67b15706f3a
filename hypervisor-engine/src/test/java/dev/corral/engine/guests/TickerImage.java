package dev.corral.engine.guests;

import java.nio.file.Path;

/**
 * The ticker test guest (deploy/guests/ticker), built from source with its build.sh into {@code target/} once per
 * JVM: a bzImage that prints "corral ticker: booted" and "tick N" on COM1, driven by PIT interrupts.
 */
public final class TickerImage {

    private static final Path SCRIPT = Path.of("../deploy/guests/ticker/build.sh");
    private static final Path OUT = Path.of("target/guests/ticker/ticker");

    private TickerImage() {
    }

    /** The image's bytes; builds it on first use. Throws if binutils is missing (build.sh says so). */
    public static byte[] bytes() {
        return DebianPackages.read(Built.PATH);
    }

    /** The built image's path; builds it on first use. */
    public static Path build() {
        return Built.PATH;
    }

    /** Built on first use of the class (the JVM runs this once, thread-safely). */
    private static final class Built {
        static final Path PATH = DebianPackages.buildGuest(SCRIPT, OUT, "ticker");
    }
}
