package dev.corral.engine.storage;

import java.util.SplittableRandom;

/**
 * The crash test's workload, reproducible from its seed: the writer process performs it, and the test replays the
 * same operations to know what each acknowledged step wrote.
 */
final class CrashOps {

    /** One step: a write of {@code data} or (data null) a discard of {@code length} bytes at {@code offset}. */
    record Op(long offset, int length, byte[] data) {
    }

    /** A flush follows every this many steps. */
    static final int FLUSH_EVERY = 6;

    private final SplittableRandom random;
    private final long size;

    CrashOps(long seed, long size) {
        this.random = new SplittableRandom(seed);
        this.size = size;
    }

    Op next() {
        long offset = random.nextLong(size);
        if (random.nextInt(3) > 0) {
            offset &= ~4095L;
        }
        int length = (int) Math.min(size - offset, 1 + random.nextInt(256 * 1024));
        if (random.nextInt(10) == 0) {
            return new Op(offset, length, null);
        }
        byte[] data = new byte[length];
        random.nextBytes(data);
        return new Op(offset, length, data);
    }
}
