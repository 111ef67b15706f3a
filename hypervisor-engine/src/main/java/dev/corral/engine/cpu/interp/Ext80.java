package dev.corral.engine.cpu.interp;

/**
 * The x87 80-bit extended format as a pair (sign-and-exponent, 64-bit significand with explicit integer
 * bit), and exact conversions to and from 64-bit integers.
 */
final class Ext80 {
    private Ext80() {
    }

    static final int BIAS = 16383;

    static long mantOfLong(long v) {
        if (v == 0) {
            return 0;
        }
        long a = v < 0 ? -v : v; // -2^63 stays 2^63 as an unsigned magnitude
        return a << Long.numberOfLeadingZeros(a);
    }

    static int seOfLong(long v) {
        if (v == 0) {
            return 0;
        }
        long a = v < 0 ? -v : v;
        return (v < 0 ? 0x8000 : 0) | (BIAS + 63 - Long.numberOfLeadingZeros(a));
    }

    /**
     * Rounds to an integer by {@code mode} (0 nearest-even, 1 down, 2 up, 3 toward zero). When the value
     * does not fit 64 bits (or is NaN or infinite) returns {@link Long#MIN_VALUE} with {@code flags[0]}
     * set; {@code flags[1]} reports a discarded fraction, {@code flags[2]} a magnitude rounded up.
     */
    static long toLong(int se, long m, int mode, boolean[] flags) {
        boolean neg = (se & 0x8000) != 0;
        int e = se & 0x7fff;
        flags[0] = false;
        flags[1] = false;
        flags[2] = false;
        if (e == 0x7fff) {
            flags[0] = true;
            return Long.MIN_VALUE;
        }
        if (m == 0) {
            return 0;
        }
        int ue = Math.max(e, 1) - BIAS; // value = m * 2^(ue - 63)
        long ip;
        boolean half;
        boolean sticky;
        if (ue >= 63) {
            if (ue == 63 && neg && m == Long.MIN_VALUE) {
                return Long.MIN_VALUE;
            }
            flags[0] = true;
            return Long.MIN_VALUE;
        } else if (ue < -1) {
            ip = 0;
            half = false;
            sticky = true;
        } else {
            int shift = 63 - ue; // 1..64
            ip = shift == 64 ? 0 : m >>> shift;
            long rest = shift == 64 ? m : m << (64 - shift);
            half = rest < 0;
            sticky = (rest << 1) != 0;
        }
        boolean inexact = half || sticky;
        flags[1] = inexact;
        boolean up = switch (mode) {
            case 0 -> half && (sticky || (ip & 1) != 0);
            case 1 -> neg && inexact;
            case 2 -> !neg && inexact;
            default -> false;
        };
        if (up) {
            ip++;
            flags[2] = true;
        }
        if (ip < 0) { // 2^63 after rounding
            if (neg && ip == Long.MIN_VALUE) {
                return Long.MIN_VALUE;
            }
            flags[0] = true;
            return Long.MIN_VALUE;
        }
        return neg ? -ip : ip;
    }
}
