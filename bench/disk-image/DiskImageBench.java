import dev.corral.engine.storage.Backing;
import dev.corral.engine.storage.Qcow2Image;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Corral's side of bench/disk-image: 4 KiB requests, one at a time, through Qcow2Image on fresh qcow2 images
 * (64 KiB clusters, as qemu-img creates them): sequential writes then reads, and strided ("random") writes then
 * reads, offset = i * stride mod size, the pattern qemu-img bench -S makes. Prints "phase seconds" per phase.
 *
 * <p>Arguments: work directory, request count, stride in bytes.
 */
public final class DiskImageBench {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int count = Integer.parseInt(args[1]);
        long stride = Long.parseLong(args[2]);
        long size = count * 4096L;
        ByteBuffer buffer = ByteBuffer.allocateDirect(4096);
        for (int i = 0; i < 4096; i++) {
            buffer.put(i, (byte) (i * 31));
        }
        for (String pattern : new String[] {"seq", "rand"}) {
            Path image = dir.resolve("corral-" + pattern + ".qcow2");
            Qcow2Image.create(image, size);
            long step = pattern.equals("seq") ? 4096 : stride;
            for (boolean write : new boolean[] {true, false}) {
                try (Qcow2Image disk = Qcow2Image.open(image, !write, Backing.none())) {
                    long start = System.nanoTime();
                    for (long i = 0; i < count; i++) {
                        long offset = (i * step) % size;
                        buffer.clear();
                        if (write) {
                            disk.write(offset, buffer);
                        } else {
                            disk.read(offset, buffer);
                        }
                    }
                    disk.flush();
                    System.out.printf("%s-%s %.3f%n", pattern, write ? "write" : "read", (System.nanoTime() - start) / 1e9);
                }
            }
        }
    }
}
