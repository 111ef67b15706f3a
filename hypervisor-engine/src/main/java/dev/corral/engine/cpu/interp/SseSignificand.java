package dev.corral.engine.cpu.interp;

import java.math.BigInteger;

/**
 * Whether the exact result of an SSE add, subtract, multiply or divide fits the destination's
 * significand when the exponent is unbounded. An unmasked overflow or underflow raises #XM without
 * storing a result; the hardware then reports PE only when that significand alone had to be rounded
 * (a tiny 2^-126 / 2^65 is exact, so the host reports UE without PE).
 */
final class SseSignificand {

    private SseSignificand() {
    }

    /** {@code bits}: 53 for double, 24 for single (whose operands are passed widened, exactly). */
    static boolean fits(int op, double x, double y, int bits) {
        if (x == 0 || y == 0 || Double.isInfinite(x) || Double.isInfinite(y)) {
            return true;
        }
        if (op <= 1) {
            return sumFits(x, op == 1 ? -y : y, bits);
        }
        // x = ox * 2^i and y = oy * 2^j with odd ox, oy: the exponents never matter
        long ox = odd(x);
        long oy = odd(y);
        if (op == 2) {
            return BigInteger.valueOf(ox).multiply(BigInteger.valueOf(oy)).bitLength() <= bits;
        }
        // an odd divisor must divide the odd numerator, or the quotient has no finite binary form
        return ox % oy == 0 && 64 - Long.numberOfLeadingZeros(ox / oy) <= bits;
    }

    private static boolean sumFits(double x, double y, int bits) {
        BigInteger a = scaled(x);
        BigInteger b = scaled(y);
        BigInteger s = a.add(b);
        if (s.signum() == 0) {
            return true;
        }
        s = s.abs();
        return s.bitLength() - s.getLowestSetBit() <= bits;
    }

    /** x * 2^1074 as an integer (exact for every finite double). */
    private static BigInteger scaled(double x) {
        long raw = Double.doubleToRawLongBits(x);
        int e = (int) ((raw >>> 52) & 0x7ff);
        long m = raw & 0xfffffffffffffL;
        if (e != 0) {
            m |= 1L << 52;
        }
        BigInteger v = BigInteger.valueOf(m).shiftLeft(Math.max(e - 1, 0));
        return raw < 0 ? v.negate() : v;
    }

    private static long odd(double x) {
        long raw = Double.doubleToRawLongBits(x);
        long m = raw & 0xfffffffffffffL;
        if (((raw >>> 52) & 0x7ff) != 0) {
            m |= 1L << 52;
        }
        return m >>> Long.numberOfTrailingZeros(m);
    }
}
