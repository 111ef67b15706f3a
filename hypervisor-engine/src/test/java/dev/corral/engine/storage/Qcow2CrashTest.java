package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Killing the writer during heavy writes (SIGKILL of a child JVM, at random moments, several times on the same
 * overlay) leaves an image that qemu-img check accepts (leaks allowed, never corruption) and that holds every write
 * acknowledged before the last flush that returned; the next start opens it for writing again.
 */
class Qcow2CrashTest {

    private static final int SIZE = 8 << 20;
    private static final int ROUNDS = 6;

    @TempDir
    Path dir;

    @Test
    void killingTheWriterKeepsTheImageCheckableAndEveryFlushedWrite() throws Exception {
        byte[] baseContent = new byte[6 << 20];
        new SplittableRandom(99).nextBytes(baseContent);
        Path base = Files.write(dir.resolve("base.raw"), baseContent);
        Path overlay = dir.resolve("vm.qcow2");
        Qcow2Image.createOverlay(overlay, base, ImageFormat.RAW, SIZE);
        byte[] image = Arrays.copyOf(baseContent, SIZE);
        SplittableRandom random = new SplittableRandom(2024);
        int flushedSteps = 0;
        int interruptedRounds = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long seed = random.nextLong();
            Path log = dir.resolve("round-" + round + ".log");
            Process writer = startWriter(overlay, base, log, seed);
            awaitReady(writer, log);
            Thread.sleep(200 + random.nextInt(1200));
            assertThat(writer.isAlive()).as("the writer was still writing when killed; its output: %s",
                    dir.resolve("writer.out")).isTrue();
            writer.destroyForcibly();
            assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();

            int flushed = -1;
            int started = -1;
            for (String line : Files.readAllLines(log)) {
                if (line.startsWith("f ")) {
                    flushed = Integer.parseInt(line.substring(2));
                } else if (line.startsWith("w ")) {
                    started = Integer.parseInt(line.substring(2));
                }
            }
            flushedSteps += flushed + 1;
            interruptedRounds += started > flushed ? 1 : 0;

            QemuImg.check(overlay, true);
            byte[] expected = image.clone();
            boolean[] uncertain = new boolean[SIZE];
            CrashOps ops = new CrashOps(seed, SIZE);
            for (int step = 0; step <= started; step++) {
                CrashOps.Op op = ops.next();
                int from = (int) op.offset();
                if (step <= flushed) {
                    if (op.data() == null) {
                        Arrays.fill(expected, from, from + op.length(), (byte) 0);
                    } else {
                        System.arraycopy(op.data(), 0, expected, from, op.length());
                    }
                } else {
                    Arrays.fill(uncertain, from, from + op.length(), true);
                }
            }
            try (Qcow2Image disk = Qcow2Image.open(overlay, false, Backing.file(base, ImageFormat.RAW))) {
                ByteBuffer all = ByteBuffer.allocate(SIZE);
                disk.read(0, all);
                image = all.array();
            }
            List<Integer> wrong = new ArrayList<>();
            for (int i = 0; i < SIZE && wrong.size() < 10; i++) {
                if (!uncertain[i] && image[i] != expected[i]) {
                    wrong.add(i);
                }
            }
            assertThat(wrong).as("round %d (flushed through step %d, started %d): bytes lost or wrong", round, flushed,
                    started).isEmpty();
            QemuImg.check(overlay, true);
        }
        assertThat(Arrays.equals(Files.readAllBytes(base), baseContent)).as("the base is untouched").isTrue();
        assertThat(flushedSteps).as("the writer got flushes through before its kills").isGreaterThan(ROUNDS);
        assertThat(interruptedRounds).as("some kills came between a write and its flush").isPositive();
        System.out.printf("crash test: %d rounds, %d flushed steps, %d kills after unflushed writes, overlay %d bytes%n",
                ROUNDS, flushedSteps, interruptedRounds, Files.size(overlay));
    }

    private static Process startWriter(Path overlay, Path base, Path log, long seed) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Qcow2CrashWriter.class.getName(), overlay.toString(), base.toString(), log.toString(), Long.toString(seed))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.resolveSibling("writer.out").toFile()))
                .start();
    }

    private static void awaitReady(Process writer, Path log) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (Files.exists(log) && Files.readString(log).startsWith("ready")) {
                return;
            }
            if (!writer.isAlive()) {
                throw new AssertionError("the writer exited with " + writer.exitValue() + " before it was ready");
            }
            Thread.sleep(50);
        }
        writer.destroyForcibly();
        throw new AssertionError("the writer did not start within 30 s");
    }
}
