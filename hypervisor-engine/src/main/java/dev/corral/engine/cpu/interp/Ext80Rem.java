package dev.corral.engine.cpu.interp;

import java.math.BigInteger;

/**
 * FPREM, FPREM1, FSCALE and FXTRACT on 80-bit values, with results, flags and C1 in an {@link Ext80Math}.
 *
 * <p>A remainder is always exact, so it only needs packing. When the exponents differ by 64 or more,
 * FPREM/FPREM1 reduce only partially (C2 = 1) by {@code ST(1) * 2^(D - N)} with the quotient truncated;
 * N = 32 + D mod 32, as the 80387 does, so that software loops until C2 is clear.
 */
final class Ext80Rem {

    private Ext80Rem() {
    }

    /** Condition bits of the x87 status word. */
    static final int C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;

    /**
     * ST(0) rem ST(1): {@code nearest} false for FPREM (quotient truncated), true for FPREM1 (IEEE,
     * nearest-even). Returns the C0..C3 bits: the quotient's low three bits (C0 = q2, C3 = q1, C1 = q0),
     * or C2 alone for a partial reduction.
     */
    static int remainder(Ext80Math m, int sa, long ma, int sb, long mb, boolean nearest) {
        m.roundedUp = false;
        if (m.nans(sa, ma, sb, mb)) {
            return 0;
        }
        if (Ext80Math.isInf(sa, ma) || Ext80Math.isZero(sb, mb)) {
            m.indefinite(); // an infinite dividend or a zero divisor is invalid
            return 0;
        }
        if (Ext80Math.isZero(sa, ma) || Ext80Math.isInf(sb, mb)) {
            m.result(sa, ma); // x rem inf = x, 0 rem y = 0
            return 0;
        }
        int ea = exponent(sa, ma);
        int eb = exponent(sb, mb);
        long na = ma << Long.numberOfLeadingZeros(ma);
        long nb = mb << Long.numberOfLeadingZeros(mb);
        int d = ea - eb;
        boolean partial = d >= 64;
        int shift = partial ? d - (32 + d % 32) : 0; // the divisor is scaled by 2^shift
        // |a| = na * 2^(ea - 63), |b| * 2^shift = nb * 2^(eb + shift - 63): work on the lower scale
        int low = Math.min(ea, eb + shift);
        BigInteger a = unsigned(na).shiftLeft(ea - low);
        BigInteger b = unsigned(nb).shiftLeft(eb + shift - low);
        BigInteger[] qr = a.divideAndRemainder(b);
        BigInteger q = qr[0];
        BigInteger r = qr[1];
        int sign = sa & 0x8000;
        if (nearest && !partial) {
            int c = r.shiftLeft(1).compareTo(b);
            if (c > 0 || (c == 0 && q.testBit(0))) {
                q = q.add(BigInteger.ONE);
                r = b.subtract(r);
                sign ^= 0x8000; // the remainder now lies on the other side of zero
            }
        }
        if (r.signum() == 0) {
            m.result(sa & 0x8000, 0); // a zero remainder keeps the dividend's sign
        } else {
            pack(m, sign, r, low - 63);
        }
        if (partial) {
            return C2;
        }
        int bits = q.intValue() & 7;
        return ((bits & 4) != 0 ? C0 : 0) | ((bits & 2) != 0 ? C3 : 0) | ((bits & 1) != 0 ? C1 : 0);
    }

    /** FSCALE: ST(0) * 2^ST(1), ST(1) truncated toward zero, rounded by RC to 64 bits. */
    static void scale(Ext80Math m, int sa, long ma, int sb, long mb) {
        m.roundedUp = false;
        if (m.nans(sa, ma, sb, mb)) {
            return;
        }
        boolean ib = Ext80Math.isInf(sb, mb);
        boolean za = Ext80Math.isZero(sa, ma);
        boolean ia = Ext80Math.isInf(sa, ma);
        boolean negB = (sb & 0x8000) != 0;
        if (ib) {
            if ((za && !negB) || (ia && negB)) {
                m.indefinite(); // 0 * 2^+inf and inf * 2^-inf are invalid
            } else if (za || ia) {
                m.result(sa, ma);
            } else {
                m.result(negB ? sa & 0x8000 : (sa & 0x8000) | 0x7fff, negB ? 0 : Long.MIN_VALUE);
            }
            return;
        }
        if (za || ia) {
            m.result(sa, ma);
            return;
        }
        long n = truncatedScale(sb, mb);
        int ea = exponent(sa, ma);
        long na = ma << Long.numberOfLeadingZeros(ma);
        int e = (int) Math.max(Math.min(ea + n, 1 << 20), -(1 << 20)); // far past either end of the range
        int saved = m.precision;
        m.precision = 64; // precision control does not apply to FSCALE
        m.round(sa & 0x8000, e, na, 0);
        m.precision = saved;
    }

    /** ST(1) truncated toward zero, clamped where the result over- or underflows anyway. */
    private static long truncatedScale(int sb, long mb) {
        if (Ext80Math.isZero(sb, mb)) {
            return 0;
        }
        int e = exponent(sb, mb);
        long v;
        if (e < 0) {
            v = 0;
        } else if (e >= 40) {
            v = 1L << 40;
        } else {
            long nb = mb << Long.numberOfLeadingZeros(mb);
            v = nb >>> (63 - e);
        }
        return (sb & 0x8000) != 0 ? -v : v;
    }

    /**
     * FXTRACT of {@code se/mant}: {@code out} gets the exponent as a real number (sign-exponent, significand)
     * then the significand with exponent 0 (which the caller pushes). Both are exact.
     */
    static void extract(Ext80Math m, int se, long mant, long[] out) {
        m.roundedUp = false;
        if (m.nans(se, mant, 0, 0)) { // unsupported: indefinite; a NaN (quieted) goes to both
            out[0] = m.se;
            out[1] = m.m;
            out[2] = m.se;
            out[3] = m.m;
            return;
        }
        if (Ext80Math.isZero(se, mant)) {
            m.flags |= Ext80Math.ZE; // the exponent of zero is -infinity, reported as a zero divide
            out[0] = 0xffff;
            out[1] = Long.MIN_VALUE;
        } else if (Ext80Math.isInf(se, mant)) {
            out[0] = 0x7fff;
            out[1] = Long.MIN_VALUE;
        } else {
            int e = exponent(se, mant); // DE for a denormal was noted by nans()
            out[0] = Ext80.seOfLong(e);
            out[1] = Ext80.mantOfLong(e);
            out[2] = (se & 0x8000) | Ext80.BIAS;
            out[3] = mant << Long.numberOfLeadingZeros(mant);
            return;
        }
        out[2] = se;
        out[3] = mant;
    }

    /** Unbiased exponent of the leading 1 of a finite non-zero value (denormals and unnormals too). */
    private static int exponent(int se, long mant) {
        int e = se & 0x7fff;
        return (e == 0 ? 1 : e) - Ext80.BIAS - Long.numberOfLeadingZeros(mant);
    }

    private static BigInteger unsigned(long v) {
        return BigInteger.valueOf(v >>> 1).shiftLeft(1).or(BigInteger.valueOf(v & 1));
    }

    /** Packs the exact value {@code r * 2^scale} (r > 0, below 2^128) through the rounder, which keeps it. */
    private static void pack(Ext80Math m, int sign, BigInteger r, int scale) {
        int bl = r.bitLength();
        BigInteger top = r.shiftLeft(128 - bl);
        long hi = top.shiftRight(64).longValue();
        long lo = top.longValue();
        int saved = m.precision;
        m.precision = 64;
        m.round(sign, scale + bl - 1, hi, lo);
        m.precision = saved;
    }
}
