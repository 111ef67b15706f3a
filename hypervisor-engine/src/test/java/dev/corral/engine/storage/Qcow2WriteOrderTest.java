package dev.corral.engine.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ordering argument of {@link Qcow2Image}, checked exhaustively rather than by chance: every write the image
 * makes to its file is journaled during a workload that allocates, copies on write, discards, flushes, adds
 * refcount blocks and grows the refcount table; then the file a crash would leave is rebuilt at many points and
 * handed to qemu-img check. Two crash models: a killed process (every write so far, in order) and a power loss
 * (everything up to the last fdatasync, plus any subset of the writes after it).
 */
class Qcow2WriteOrderTest {

    /** One journaled operation on the file. */
    private record FileOp(long position, byte[] bytes, long punchLength, boolean sync) {
    }

    @TempDir
    Path dir;

    @Test
    void everyCrashPointLeavesAnImageQemuImgAccepts() throws Exception {
        Path image = dir.resolve("ordered.qcow2");
        // Small clusters, so a few MiB of writes need new refcount blocks and outgrow the refcount table.
        QemuImg.ok("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", image.toString(), "12M");
        byte[] initial = Files.readAllBytes(image);
        List<FileOp> journal = new ArrayList<>();
        ImageFile.Journal recorder = new ImageFile.Journal() {
            @Override
            public void written(long position, ByteBuffer bytes) {
                byte[] copy = new byte[bytes.remaining()];
                bytes.duplicate().get(copy);
                journal.add(new FileOp(position, copy, 0, false));
            }

            @Override
            public void punched(long offset, long length) {
                journal.add(new FileOp(offset, null, length, false));
            }

            @Override
            public void synced() {
                journal.add(new FileOp(0, null, 0, true));
            }
        };
        List<Integer> flushes = new ArrayList<>();
        List<byte[]> flushedModels = new ArrayList<>();
        Workload workload = new Workload(31, new byte[12 << 20], 512);
        try (Qcow2Image disk = Qcow2Image.open(image, false, Backing.none(), recorder)) {
            for (int round = 0; round < 8; round++) {
                workload.run(disk, 25);
                byte[] fill = new byte[1_300_000];
                Arrays.fill(fill, (byte) (round + 1));
                long at = (round * 1_400_000L) % ((12 << 20) - fill.length);
                disk.write(at, ByteBuffer.wrap(fill));
                System.arraycopy(fill, 0, workload.model(), (int) at, fill.length);
                disk.flush();
                flushes.add(journal.size());
                flushedModels.add(workload.model().clone());
            }
        }
        long tableNow = ByteBuffer.wrap(Files.readAllBytes(image)).getLong(48);
        assertThat(tableNow).as("the workload grew the refcount table").isNotEqualTo(ByteBuffer.wrap(initial).getLong(48));

        SplittableRandom random = new SplittableRandom(37);
        Path crashed = dir.resolve("crashed.qcow2");
        int checks = 0;
        for (int point = 0; point <= journal.size(); point += Math.max(1, journal.size() / 100)) {
            Files.write(crashed, replay(initial, journal, point, null));
            QemuImg.check(crashed, true);
            Files.write(crashed, replay(initial, journal, point, random));
            QemuImg.check(crashed, true);
            checks += 2;
        }
        for (int i = 0; i < journal.size(); i++) {
            if (journal.get(i).sync()) {
                // Power lost just before an fdatasync: the most writes in flight, any of them lost.
                Files.write(crashed, replay(initial, journal, i, random));
                QemuImg.check(crashed, true);
                checks++;
            }
        }
        for (int f = 0; f < flushes.size(); f++) {
            // Power lost right after a flush returned: everything it promised is there, and nothing is corrupt.
            Files.write(crashed, replay(initial, journal, flushes.get(f), random));
            QemuImg.check(crashed, true);
            QemuImg.compare(Files.write(dir.resolve("model.raw"), flushedModels.get(f)), "raw", crashed, "qcow2");
        }
        System.out.printf("write order: %d file operations journaled, %d crash images checked%n", journal.size(), checks);
    }

    /**
     * The file after the first {@code count} journaled operations; with {@code drop}, a power loss: the operations
     * after the last sync before {@code count} each survive or not at random.
     */
    private static byte[] replay(byte[] initial, List<FileOp> journal, int count, SplittableRandom drop) throws IOException {
        int lastSync = -1;
        long length = initial.length;
        for (int i = 0; i < count; i++) {
            FileOp op = journal.get(i);
            if (op.sync()) {
                lastSync = i;
            } else if (op.bytes() != null) {
                length = Math.max(length, op.position() + op.bytes().length);
            }
        }
        byte[] file = Arrays.copyOf(initial, (int) length);
        for (int i = 0; i < count; i++) {
            FileOp op = journal.get(i);
            if (op.sync() || (drop != null && i > lastSync && drop.nextBoolean())) {
                continue;
            }
            long end = op.position() + (op.bytes() != null ? op.bytes().length : op.punchLength());
            if (op.bytes() != null) {
                System.arraycopy(op.bytes(), 0, file, (int) op.position(), op.bytes().length);
            } else {
                Arrays.fill(file, (int) op.position(), (int) Math.min(end, file.length), (byte) 0);
            }
        }
        return file;
    }
}
