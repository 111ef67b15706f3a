package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuState;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * The host CPU as the oracle: compiles {@code src/test/c/diffharness.c} with gcc into
 * {@code target/diffharness/} and keeps one harness process for many cases (see the C file for the
 * protocol). Not thread-safe: one oracle per test class.
 */
final class NativeOracle implements AutoCloseable {

    private static final int CASE_MAGIC = 0x45534143;
    private static final int HELLO_MAGIC = 0x46464944;
    private static final int STATE_BYTES = 16 * 8 + 8 + 32 * 8 + 8;
    private static final int OUTCOME_BYTES = 8 + 8 + STATE_BYTES + 8 + GuestLayout.PAGE;

    /**
     * What the host CPU says it supports (CPUID leaf 1 ECX/EDX, leaf 7 EBX, leaf 0x80000001 ECX), and
     * whether the harness could make guest system calls trap (a seccomp filter).
     */
    record HostFeatures(int leaf1Ecx, int leaf1Edx, int leaf7Ebx, int extEcx, boolean syscallsTrap) {
        boolean popcnt() { return (leaf1Ecx & (1 << 23)) != 0; }
        boolean cx16() { return (leaf1Ecx & (1 << 13)) != 0; }
        boolean lzcnt() { return (extEcx & (1 << 5)) != 0; }
        boolean bmi1() { return (leaf7Ebx & (1 << 3)) != 0; }
    }

    private final Process process;
    private final OutputStream toHarness;
    private final InputStream fromHarness;
    private final HostFeatures features;
    private final ByteBuffer out = ByteBuffer.allocate(8 + GuestLayout.PAGE + STATE_BYTES + GuestLayout.PAGE)
            .order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] in = new byte[OUTCOME_BYTES];

    private NativeOracle(Process process) throws IOException {
        this.process = process;
        this.toHarness = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.fromHarness = new BufferedInputStream(process.getInputStream(), 1 << 16);
        byte[] hello = new byte[24];
        readFully(hello);
        ByteBuffer h = ByteBuffer.wrap(hello).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt() != HELLO_MAGIC) throw new IOException("the diff harness did not say hello");
        features = new HostFeatures(h.getInt(), h.getInt(), h.getInt(), h.getInt(), (h.getInt() & 1) != 0);
    }

    static boolean hostIsX86_64() {
        String arch = System.getProperty("os.arch");
        return System.getProperty("os.name").startsWith("Linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** Builds the harness if its source changed and starts it. */
    static NativeOracle start() {
        try {
            Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
            Path source = module.resolve("src/test/c/diffharness.c");
            Path dir = module.resolve("target/diffharness");
            Path binary = dir.resolve("diffharness");
            if (!Files.exists(binary) || Files.getLastModifiedTime(binary).compareTo(Files.getLastModifiedTime(source)) < 0) {
                compile(source, dir, binary);
            }
            return new NativeOracle(new ProcessBuilder(binary.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the differential-test harness", e);
        }
    }

    private static void compile(Path source, Path dir, Path binary) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "diffharness", ".tmp");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-o", tmp.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("the differential test builds its harness with gcc, which could not be run"
                    + " (install gcc)", e);
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
                throw new IOException("gcc could not build the differential-test harness " + source + ":\n" + log);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the harness", e);
        }
        Files.move(tmp, binary, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    HostFeatures features() {
        return features;
    }

    /** Runs one case on the host CPU. */
    Outcome run(DiffCase c) {
        out.clear();
        out.putInt(CASE_MAGIC).putInt(c.code().length | (c.writableCode() ? 0x8000_0000 : 0)).put(c.code());
        CpuState s = c.init();
        for (long g : s.gpr) out.putLong(g);
        out.putLong(s.rflags);
        for (long x : s.xmm) out.putLong(x);
        out.putInt(s.mxcsr).putInt(0);
        out.put(c.data());
        try {
            toHarness.write(out.array(), 0, out.position());
            toHarness.flush();
            readFully(in);
        } catch (IOException e) {
            throw new UncheckedIOException("the differential-test harness died (exit " + exitCode() + ")", e);
        }
        ByteBuffer r = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN);
        int vector = r.getInt();
        int signal = r.getInt();
        long rip = r.getLong();
        CpuState state = new CpuState();
        for (int i = 0; i < 16; i++) state.gpr[i] = r.getLong();
        state.rflags = r.getLong();
        for (int i = 0; i < 32; i++) state.xmm[i] = r.getLong();
        state.mxcsr = r.getInt();
        r.getInt();
        long cr2 = r.getLong();
        state.rip = rip;
        byte[] data = new byte[GuestLayout.PAGE];
        r.get(data);
        return new Outcome(vector, rip, state, data, vector == Outcome.PF ? cr2 : 0, "signal " + signal);
    }

    private String exitCode() {
        return process.isAlive() ? "still running" : Integer.toString(process.exitValue());
    }

    private void readFully(byte[] buf) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n = fromHarness.read(buf, off, buf.length - off);
            if (n < 0) throw new EOFException("harness closed its output");
            off += n;
        }
    }

    @Override
    public void close() {
        try {
            toHarness.close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
