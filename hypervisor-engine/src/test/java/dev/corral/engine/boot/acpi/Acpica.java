package dev.corral.engine.boot.acpi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ACPICA's own tools (Debian's acpica-tools), the reference the kernel's interpreter is built from: {@code iasl -d}
 * disassembles a table, {@code iasl} compiles ASL, {@code acpiexec} loads tables into a namespace and evaluates
 * objects. A missing tool fails
 * the test that needs it, saying which package to install.
 */
final class Acpica {

    record Result(int exitCode, String output, String disassembly) {
    }

    private Acpica() {
    }

    /** Disassembles one table ({@code iasl -d}); the .dsl text, and what iasl printed. */
    static Result disassemble(Path dir, String name, byte[] table) throws IOException, InterruptedException {
        Path file = dir.resolve(name + ".dat");
        Files.write(file, table);
        var run = run(dir, List.of("iasl", "-d", file.getFileName().toString()));
        Path dsl = dir.resolve(name + ".dsl");
        return new Result(run.exitCode(), run.output(), Files.exists(dsl) ? Files.readString(dsl) : "");
    }

    /**
     * Compiles ASL with {@code iasl -on} (names kept as written: no shortening of \_SB.X to what the scope allows,
     * so the AML is what the source says); the table, or an IOException quoting what iasl said.
     */
    static byte[] compile(Path dir, String name, String asl) throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".asl"), asl);
        var run = run(dir, List.of("iasl", "-on", "-p", name + "-compiled", name + ".asl"));
        Path aml = dir.resolve(name + "-compiled.aml");
        if (run.exitCode() != 0 || !Files.exists(aml)) {
            throw new IOException("iasl could not compile " + name + ".asl: " + run.output());
        }
        return Files.readAllBytes(aml);
    }

    /** Loads {@code tables} (name → bytes) into acpiexec and runs {@code commands} in batch mode. */
    static Result execute(Path dir, java.util.Map<String, byte[]> tables, String commands) throws IOException, InterruptedException {
        var command = new ArrayList<>(List.of("acpiexec", "-b", commands));
        for (var t : tables.entrySet()) {
            Path file = dir.resolve(t.getKey() + ".dat");
            Files.write(file, t.getValue());
            command.add(file.getFileName().toString());
        }
        return run(dir, command);
    }

    private static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(command.getFirst() + " is not installed: the ACPI table tests need Debian's acpica-tools ("
                    + e.getMessage() + ")", e);
        }
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8), "");
    }
}
