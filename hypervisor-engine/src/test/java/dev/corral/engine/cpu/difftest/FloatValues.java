package dev.corral.engine.cpu.difftest;

import java.util.Random;

/** IEEE-754 operands where SSE arithmetic has rules to get right: zeros, infinities, NaNs, denormals, edges. */
final class FloatValues {

    private static final long[] DOUBLES = {
        0L, 0x8000_0000_0000_0000L, 0x7ff0_0000_0000_0000L, 0xfff0_0000_0000_0000L, // ±0, ±inf
        0x7ff8_0000_0000_0000L, 0xfff8_0000_0000_0000L, 0x7ff8_0000_0000_1234L, 0xfffc_0000_0000_0042L, // QNaNs
        0x7ff0_0000_0000_0001L, 0x7ff4_0000_0000_0000L, 0xfff0_0000_dead_beefL, // SNaNs
        0x0000_0000_0000_0001L, 0x000f_ffff_ffff_ffffL, 0x8008_0000_0000_0000L, // denormals
        0x0010_0000_0000_0000L, 0x7fef_ffff_ffff_ffffL, 0xffef_ffff_ffff_ffffL, // min/max normal
        0x3ff0_0000_0000_0000L, 0xbff0_0000_0000_0000L, 0x3fe0_0000_0000_0000L, 0x3ff8_0000_0000_0000L,
        0x4004_0000_0000_0000L, 0xc004_0000_0000_0000L, // 1, -1, 0.5, 1.5, 2.5, -2.5
        0x43e0_0000_0000_0000L, 0xc3e0_0000_0000_0000L, 0x41e0_0000_0000_0000L, 0xc1e0_0000_0020_0000L, // 2^63, 2^31
        0x47ef_ffff_e000_0000L, 0x3690_0000_0000_0000L, // float max, below float denormal range
    };
    private static final int[] FLOATS = {
        0, 0x8000_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0xffc0_0000, 0x7fc0_1234, 0x7f80_0001, 0x7fa0_0000,
        0xff80_beef, 0x0000_0001, 0x007f_ffff, 0x8040_0000, 0x0080_0000, 0x7f7f_ffff, 0xff7f_ffff, 0x3f80_0000,
        0xbf80_0000, 0x3f00_0000, 0x3fc0_0000, 0x4020_0000, 0xc020_0000, 0x4f00_0000, 0xcf00_0000, 0x5f00_0000,
    };

    private FloatValues() {}

    static long double64(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0, 1 -> DOUBLES[rnd.nextInt(DOUBLES.length)];
            case 2 -> Double.doubleToRawLongBits(rnd.nextGaussian() * Math.pow(10, rnd.nextInt(20) - 10));
            case 3 -> Double.doubleToRawLongBits(rnd.nextInt(2001) - 1000 + rnd.nextInt(4) * 0.25);
            default -> rnd.nextLong();
        };
    }

    static int float32(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0, 1 -> FLOATS[rnd.nextInt(FLOATS.length)];
            case 2 -> Float.floatToRawIntBits((float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6)));
            case 3 -> Float.floatToRawIntBits(rnd.nextInt(2001) - 1000 + rnd.nextInt(4) * 0.25f);
            default -> rnd.nextInt();
        };
    }

    /** 64 bits holding a double or two floats. */
    static long lane(Random rnd) {
        return rnd.nextBoolean() ? double64(rnd) : (float32(rnd) & 0xffff_ffffL) | ((long) float32(rnd) << 32);
    }

    /**
     * An MXCSR with a random rounding mode, sometimes FTZ, DAZ, sticky flags already set, or some
     * exceptions unmasked (then #XM where one occurs).
     */
    static int mxcsr(Random rnd) {
        int m = 0x1f80 | (rnd.nextInt(4) << 13);
        if (rnd.nextInt(4) == 0) m |= 1 << 15;
        if (rnd.nextInt(4) == 0) m |= 1 << 6;
        if (rnd.nextInt(4) == 0) m |= rnd.nextInt(64);
        if (rnd.nextInt(10) == 0) m &= ~(rnd.nextInt(64) << 7);
        return m;
    }
}
