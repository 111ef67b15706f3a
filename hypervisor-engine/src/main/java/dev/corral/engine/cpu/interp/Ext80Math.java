package dev.corral.engine.cpu.interp;

import java.math.BigInteger;

/**
 * IEEE arithmetic on the x87 80-bit extended format, correctly rounded to the precision control (64,
 * 53 or 24 significant bits) by the rounding control, with the x87 rules for NaNs (a signalling NaN is
 * invalid; of two NaNs the one with the larger significand wins, quieted) and the default indefinite
 * for invalid operations. Results come back in {@link #se} and {@link #m}; exception flags accumulate
 * in {@link #flags} (x87 status bits IE 0x01, DE 0x02, ZE 0x04, OE 0x08, UE 0x10, PE 0x20) and
 * {@link #roundedUp} tells C1.
 *
 * <p>Values are unpacked to a sign, an unbiased exponent E and a normalized significand so that the
 * magnitude is {@code mant * 2^(E - 63)}; intermediate results are 128-bit {@code hi:lo} with
 * magnitude {@code hi:lo * 2^(E - 127)}.
 */
final class Ext80Math {

    static final int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20;
    static final int INDEF_SE = 0xffff;
    static final long INDEF_M = 0xc000000000000000L;
    private static final int BIAS = Ext80.BIAS;

    int se;
    long m;
    int flags;
    boolean roundedUp;
    /** Significant bits kept: 64, 53 or 24. */
    int precision = 64;
    /** 0 nearest-even, 1 down, 2 up, 3 toward zero. */
    int rounding;

    // ---- classification ----

    static boolean isNaN(int se, long m) {
        return (se & 0x7fff) == 0x7fff && (m << 1) != 0;
    }

    static boolean isInf(int se, long m) {
        return (se & 0x7fff) == 0x7fff && (m << 1) == 0 && m < 0;
    }

    static boolean isZero(int se, long m) {
        return (se & 0x7fff) == 0 && m == 0;
    }

    /** Unnormals, pseudo-infinities and pseudo-NaNs: invalid operands on every x87 since the 387. */
    static boolean unsupported(int se, long m) {
        int e = se & 0x7fff;
        return e != 0 && m >= 0;
    }

    void result(int s, long mant) {
        se = s;
        m = mant;
    }

    /** An invalid operation: the indefinite result, and IE alone (invalid outranks a denormal operand). */
    void indefinite() {
        flags = (flags & ~DE) | IE;
        result(INDEF_SE, INDEF_M);
    }

    /**
     * Unsupported formats (invalid), then NaN propagation by the x87 rules: a quiet NaN wins over a
     * signalling one, of two NaNs of the same kind the larger significand. True when it produced the
     * result; otherwise notes a denormal operand (DE).
     */
    boolean nans(int sa, long ma, int sb, long mb) {
        if (unsupported(sa, ma) || unsupported(sb, mb)) {
            indefinite();
            return true;
        }
        boolean na = isNaN(sa, ma);
        boolean nb = isNaN(sb, mb);
        if (!na && !nb) {
            if (((sa & 0x7fff) == 0 && ma != 0) || ((sb & 0x7fff) == 0 && mb != 0)) {
                flags |= DE;
            }
            return false;
        }
        boolean sna = na && (ma & 0x4000000000000000L) == 0;
        boolean snb = nb && (mb & 0x4000000000000000L) == 0;
        if (sna || snb) {
            flags |= IE;
        }
        boolean pickA;
        if (na && nb) {
            if (sna != snb) {
                pickA = snb; // the quiet one
            } else {
                int c = Long.compareUnsigned(ma | 0x4000000000000000L, mb | 0x4000000000000000L);
                pickA = c > 0 || (c == 0 && (sa & 0x8000) == 0);
            }
        } else {
            pickA = na;
        }
        if (pickA) {
            result(sa, ma | 0x4000000000000000L);
        } else {
            result(sb, mb | 0x4000000000000000L);
        }
        return true;
    }

    private int unpackE;
    private long unpackM;

    /** Unpacks a finite non-zero value into {@link #unpackE} and a normalized {@link #unpackM}. */
    private void unpack(int s, long mant) {
        int e = s & 0x7fff;
        int ue = (e == 0 ? 1 : e) - BIAS;
        if (e == 0) {
            flags |= DE;
        }
        int lz = Long.numberOfLeadingZeros(mant);
        unpackM = mant << lz;
        unpackE = ue - lz;
    }

    // ---- operations ----

    void add(int sa, long ma, int sb, long mb, boolean subtract) {
        roundedUp = false;
        if (subtract) {
            sb ^= 0x8000;
        }
        if (nans(sa, ma, subtract ? sb ^ 0x8000 : sb, mb)) {
            return;
        }
        boolean ia = isInf(sa, ma);
        boolean ib = isInf(sb, mb);
        if (ia || ib) {
            if (ia && ib && ((sa ^ sb) & 0x8000) != 0) {
                indefinite();
            } else {
                result(ia ? sa : sb, Long.MIN_VALUE);
                se |= 0x7fff;
            }
            return;
        }
        boolean za = isZero(sa, ma);
        boolean zb = isZero(sb, mb);
        if (za && zb) {
            boolean neg = ((sa & sb) & 0x8000) != 0 || (((sa ^ sb) & 0x8000) != 0 && rounding == 1);
            result(neg ? 0x8000 : 0, 0);
            return;
        }
        if (za || zb) {
            int s = za ? sb : sa;
            long mm = za ? mb : ma;
            if ((s & 0x7fff) == 0) {
                flags |= DE;
            }
            round(s & 0x8000, (s & 0x7fff) == 0 ? 1 - BIAS - Long.numberOfLeadingZeros(mm)
                    : (s & 0x7fff) - BIAS, mm << Long.numberOfLeadingZeros(mm), 0);
            return;
        }
        unpack(sa, ma);
        int ea = unpackE;
        long a = unpackM;
        unpack(sb, mb);
        int eb = unpackE;
        long b = unpackM;
        int signA = sa & 0x8000;
        int signB = sb & 0x8000;
        if (eb > ea || (eb == ea && Long.compareUnsigned(b, a) > 0)) {
            int t = ea;
            ea = eb;
            eb = t;
            long tm = a;
            a = b;
            b = tm;
            int ts = signA;
            signA = signB;
            signB = ts;
        }
        // a:0 and b shifted right by d into bh:bl with sticky
        int d = ea - eb;
        long bh;
        long bl;
        if (d == 0) {
            bh = b;
            bl = 0;
        } else if (d < 64) {
            bh = b >>> d;
            bl = b << (64 - d);
        } else if (d < 128) {
            bh = 0;
            bl = d == 64 ? b : (b >>> (d - 64)) | ((b << (128 - d)) != 0 ? 1 : 0);
        } else {
            bh = 0;
            bl = 1;
        }
        long hi;
        long lo;
        int e = ea;
        if (signA == signB) {
            lo = bl;
            hi = a + bh;
            boolean carry = Long.compareUnsigned(hi, a) < 0;
            if (carry) {
                lo = (lo >>> 1) | (hi << 63) | (lo & 1);
                hi = (hi >>> 1) | Long.MIN_VALUE;
                e++;
            }
        } else {
            lo = -bl;
            hi = a - bh - (bl != 0 ? 1 : 0);
            if (hi == 0 && lo == 0) {
                result(rounding == 1 ? 0x8000 : 0, 0);
                return;
            }
            int lz = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
            if (lz >= 64) {
                hi = lo << (lz - 64);
                lo = 0;
            } else if (lz > 0) {
                hi = (hi << lz) | (lo >>> (64 - lz));
                lo <<= lz;
            }
            e -= lz;
        }
        round(signA, e, hi, lo);
    }

    void mul(int sa, long ma, int sb, long mb) {
        roundedUp = false;
        if (nans(sa, ma, sb, mb)) {
            return;
        }
        int sign = (sa ^ sb) & 0x8000;
        boolean ia = isInf(sa, ma);
        boolean ib = isInf(sb, mb);
        boolean za = isZero(sa, ma);
        boolean zb = isZero(sb, mb);
        if ((ia && zb) || (ib && za)) {
            indefinite();
            return;
        }
        if (ia || ib) {
            result(sign | 0x7fff, Long.MIN_VALUE);
            return;
        }
        if (za || zb) {
            result(sign, 0);
            return;
        }
        unpack(sa, ma);
        int ea = unpackE;
        long a = unpackM;
        unpack(sb, mb);
        long hi = Math.unsignedMultiplyHigh(a, unpackM);
        long lo = a * unpackM;
        int e = ea + unpackE + 1;
        if (hi >= 0) {
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
            e--;
        }
        round(sign, e, hi, lo);
    }

    void div(int sa, long ma, int sb, long mb) {
        roundedUp = false;
        if (nans(sa, ma, sb, mb)) {
            return;
        }
        int sign = (sa ^ sb) & 0x8000;
        boolean ia = isInf(sa, ma);
        boolean ib = isInf(sb, mb);
        boolean za = isZero(sa, ma);
        boolean zb = isZero(sb, mb);
        if ((ia && ib) || (za && zb)) {
            indefinite();
            return;
        }
        if (ia) {
            result(sign | 0x7fff, Long.MIN_VALUE);
            return;
        }
        if (zb) {
            flags = (flags & ~DE) | ZE; // zero-divide is reported alone, even for a denormal dividend
            result(sign | 0x7fff, Long.MIN_VALUE);
            return;
        }
        if (za || ib) {
            result(sign, 0);
            return;
        }
        unpack(sa, ma);
        int ea = unpackE;
        long a = unpackM;
        unpack(sb, mb);
        BigInteger num = unsigned(a).shiftLeft(128);
        BigInteger[] qr = num.divideAndRemainder(unsigned(unpackM));
        BigInteger q = qr[0]; // in [2^127, 2^129)
        int extra = q.bitLength() - 128; // 0 or 1
        int e = ea - unpackE - 1 + extra;
        boolean sticky = qr[1].signum() != 0 || (extra == 1 && q.testBit(0));
        q = q.shiftRight(extra);
        long hi = q.shiftRight(64).longValue();
        long lo = q.longValue() | (sticky ? 1 : 0);
        round(sign, e, hi, lo);
    }

    void sqrt(int sa, long ma) {
        roundedUp = false;
        if (nans(sa, ma, 0, 0)) {
            return;
        }
        if (isZero(sa, ma)) {
            result(sa, 0);
            return;
        }
        if ((sa & 0x8000) != 0) {
            indefinite();
            return;
        }
        if (isInf(sa, ma)) {
            result(sa, ma);
            return;
        }
        unpack(sa, ma);
        int t = unpackE - 63; // value = mant * 2^t
        int k = (t & 1) != 0 ? 127 : 128; // make t - k even, and the root 64 bits wide
        BigInteger n = unsigned(unpackM).shiftLeft(k);
        BigInteger r = n.sqrt();
        BigInteger rem = n.subtract(r.multiply(r));
        // value = sqrt(n) * 2^((t - k) / 2); r has 127 or 128 bits... take the top 128 bits
        int s = (t - k) / 2;
        int bl = r.bitLength();
        long hi = r.shiftRight(bl - 64).longValue();
        long lo = r.shiftRight(Math.max(0, bl - 128)).longValue() << Math.max(0, 128 - bl);
        boolean sticky = rem.signum() != 0 || r.getLowestSetBit() < bl - 128;
        lo |= sticky ? 1 : 0;
        // magnitude r * 2^s = (hi:lo) * 2^(bl - 128) * 2^s
        round(0, s + bl - 1, hi, lo);
    }

    private static BigInteger unsigned(long v) {
        return new BigInteger(1, new byte[] {(byte) (v >>> 56), (byte) (v >>> 48), (byte) (v >>> 40),
                (byte) (v >>> 32), (byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    /**
     * Rounds the normalized magnitude {@code hi:lo * 2^(e - 127)} (top bit of hi set) with {@code sign}
     * to the precision and rounding control, handling overflow and gradual underflow.
     */
    void round(int sign, int e, long hi, long lo) {
        int eb = e + BIAS;
        int drop = 64 - precision; // bits of hi below the kept precision
        boolean tiny = eb <= 0;
        if (tiny) {
            int shift = 1 - eb; // denormal: move to exponent field 0
            if (shift >= 128) {
                lo = (hi | lo) != 0 ? 1 : 0;
                hi = 0;
            } else if (shift >= 64) {
                lo = (hi >>> (shift - 64)) | (((shift == 64 ? 0 : hi << (128 - shift)) | lo) != 0 ? 1 : 0);
                hi = 0;
            } else if (shift > 0) {
                lo = (lo >>> shift) | (hi << (64 - shift)) | ((lo << (64 - shift)) != 0 ? 1 : 0);
                hi >>>= shift;
            }
            eb = 0;
        }
        long keepMask = drop == 0 ? -1L : -1L << drop;
        long half;
        boolean rest;
        if (drop == 0) {
            half = lo & Long.MIN_VALUE;
            rest = (lo << 1) != 0;
        } else {
            half = hi & (1L << (drop - 1));
            rest = (hi & ((1L << (drop - 1)) - 1)) != 0 || lo != 0;
        }
        boolean inexact = half != 0 || rest;
        long kept = hi & keepMask;
        boolean neg = sign != 0;
        boolean up = switch (rounding) {
            case 0 -> half != 0 && (rest || (kept & (drop == 0 ? 1L : 1L << drop)) != 0);
            case 1 -> neg && inexact;
            case 2 -> !neg && inexact;
            default -> false;
        };
        if (up) {
            long inc = drop == 0 ? 1L : 1L << drop;
            long sum = kept + inc;
            if (Long.compareUnsigned(sum, kept) < 0) { // carried out of the significand
                sum = Long.MIN_VALUE;
                eb++;
            } else if (eb == 0 && sum < 0) {
                eb = 1; // a denormal rounded up into the normals
            }
            kept = sum;
            roundedUp = true;
        }
        if (inexact) {
            flags |= PE;
            if (tiny) {
                flags |= UE;
            }
        }
        if (eb >= 0x7fff) {
            flags |= OE | PE;
            boolean toInf = rounding == 0 || (rounding == 1 && neg) || (rounding == 2 && !neg);
            roundedUp = toInf;
            if (toInf) {
                result(sign | 0x7fff, Long.MIN_VALUE);
            } else {
                result(sign | 0x7ffe, keepMask);
            }
            return;
        }
        if (kept == 0) {
            eb = 0;
        }
        result(sign | eb, kept);
    }

    /** Compares two values: -1, 0, 1, or 2 when unordered (a NaN or an unsupported format). */
    static int compare(int sa, long ma, int sb, long mb) {
        if (isNaN(sa, ma) || isNaN(sb, mb) || unsupported(sa, ma) || unsupported(sb, mb)) {
            return 2;
        }
        boolean za = isZero(sa, ma);
        boolean zb = isZero(sb, mb);
        if (za && zb) {
            return 0;
        }
        boolean na = (sa & 0x8000) != 0 && !za;
        boolean nb = (sb & 0x8000) != 0 && !zb;
        if (na != nb) {
            return na ? -1 : 1;
        }
        int c = magnitude(sa, ma, za, sb, mb, zb);
        return na ? -c : c;
    }

    private static int magnitude(int sa, long ma, boolean za, int sb, long mb, boolean zb) {
        if (za) {
            return zb ? 0 : -1;
        }
        if (zb) {
            return 1;
        }
        int ea = sa & 0x7fff;
        int eb = sb & 0x7fff;
        // denormals (exponent 0) have the weight of exponent 1: compare exponent then significand
        int xa = ea == 0 ? 1 : ea;
        int xb = eb == 0 ? 1 : eb;
        if (xa != xb) {
            return xa < xb ? -1 : 1;
        }
        return Integer.signum(Long.compareUnsigned(ma, mb));
    }

    static boolean signalling(int se, long m) {
        return isNaN(se, m) && (m & 0x4000000000000000L) == 0;
    }
}
