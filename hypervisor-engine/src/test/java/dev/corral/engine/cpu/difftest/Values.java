package dev.corral.engine.cpu.difftest;

import java.util.Random;

/** Random values biased toward the ones where arithmetic goes wrong: edges, signs, powers of two. */
final class Values {

    private static final long[] EDGES = {
        0, 1, -1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffffL, 0x8000_0000L,
        0xffff_ffffL, 0x1_0000_0000L, Long.MAX_VALUE, Long.MIN_VALUE, 0xffff_ffff_8000_0000L, 0xffff_ffff_ffff_ff80L,
        0xffff_ffff_ffff_8000L, 0x8000_0000_0000_0001L, 0x0000_0001_ffff_ffffL,
    };

    private Values() {}

    static long interesting64(Random rnd) {
        return switch (rnd.nextInt(10)) {
            case 0, 1 -> EDGES[rnd.nextInt(EDGES.length)];
            case 2 -> 1L << rnd.nextInt(64);
            case 3 -> rnd.nextInt(72);
            case 4 -> EDGES[rnd.nextInt(EDGES.length)] + rnd.nextInt(5) - 2;
            case 5 -> rnd.nextInt();
            case 6 -> rnd.nextInt() & 0xffff_ffffL;
            case 7 -> -(1L << rnd.nextInt(64));
            default -> rnd.nextLong();
        };
    }

    /** An immediate of {@code bytes} width, sign-extended into a long. */
    static long imm(Random rnd, int bytes) {
        long v = interesting64(rnd);
        return switch (bytes) {
            case 1 -> (byte) v;
            case 2 -> (short) v;
            case 4 -> (int) v;
            default -> v;
        };
    }
}
