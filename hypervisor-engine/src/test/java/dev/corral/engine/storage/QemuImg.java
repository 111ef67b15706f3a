package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs Debian's qemu-img and qemu-io (package qemu-utils), the reference the qcow2 tests hold Corral's images to.
 * Missing tools fail the test that needs them, loudly: the checks are the point of those tests.
 */
final class QemuImg {

    /** A finished run: exit status and everything printed. */
    record Result(int exitCode, String output) {
    }

    private QemuImg() {
    }

    static Result run(String... command) {
        List<String> line = new ArrayList<>(List.of(command));
        try {
            Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(process.waitFor(), output);
        } catch (IOException e) {
            throw new AssertionError(command[0] + " cannot be run (install Debian's qemu-utils): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + line, e);
        }
    }

    /** Runs a command that must succeed; returns its output. */
    static String ok(String... command) {
        Result result = run(command);
        if (result.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }

    /**
     * {@code qemu-img check}: no corruption allowed; leaked clusters only when {@code leaksAllowed} (exit status 3,
     * what a crash may leave). Returns the report.
     */
    static String check(Path image, boolean leaksAllowed) {
        Result result = run("qemu-img", "check", "-f", "qcow2", image.toString());
        boolean fine = result.exitCode() == 0 || (leaksAllowed && result.exitCode() == 3);
        if (!fine || result.output().contains("ERROR")) {
            throw new AssertionError("qemu-img check " + image + " exited " + result.exitCode() + ":\n" + result.output());
        }
        return result.output();
    }

    /** {@code qemu-img compare}: the two images' guest contents are identical (exit 0). */
    static void compare(Path a, String formatA, Path b, String formatB) {
        ok("qemu-img", "compare", "-f", formatA, "-F", formatB, a.toString(), b.toString());
    }

    /** {@code qemu-io} commands on an image (e.g. {@code write -P 0xab 0 64k}). */
    static void io(Path image, String format, String... commands) {
        List<String> line = new ArrayList<>(List.of("qemu-io", "-f", format));
        for (String command : commands) {
            line.add("-c");
            line.add(command);
        }
        line.add(image.toString());
        String output = ok(line.toArray(String[]::new));
        if (output.contains("failed") || output.contains("error")) {
            throw new AssertionError("qemu-io " + String.join("; ", commands) + ":\n" + output);
        }
    }
}
