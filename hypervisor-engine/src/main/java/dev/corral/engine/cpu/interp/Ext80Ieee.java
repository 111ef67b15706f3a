package dev.corral.engine.cpu.interp;

/**
 * Bit-exact conversions between the x87 extended format and IEEE single/double: loads are exact (a
 * signalling NaN stays signalling until an operation sees it); stores round by the rounding control,
 * with gradual underflow, and report IE/OE/UE/PE like FST does.
 */
final class Ext80Ieee {
    private Ext80Ieee() {
    }

    /** Extended sign-and-exponent ({@code out[0]}) and significand ({@code out[1]}) of IEEE bits. */
    static void load(long bits, int mantBits, int expBits, long[] out) {
        long sign = (bits >>> (mantBits + expBits)) & 1;
        int expMax = (1 << expBits) - 1;
        int exp = (int) ((bits >>> mantBits) & expMax);
        long frac = bits & ((1L << mantBits) - 1);
        int bias = (1 << (expBits - 1)) - 1;
        int se;
        long m;
        if (exp == expMax) {
            se = 0x7fff;
            m = Long.MIN_VALUE | (frac << (63 - mantBits));
        } else if (exp == 0) {
            if (frac == 0) {
                se = 0;
                m = 0;
            } else {
                int lz = Long.numberOfLeadingZeros(frac);
                m = frac << lz;
                // value = frac * 2^(1 - bias - mantBits) = m * 2^(1 - bias - mantBits - lz)
                se = (1 - bias - mantBits - lz) + 63 + Ext80.BIAS;
            }
        } else {
            se = exp - bias + Ext80.BIAS;
            m = Long.MIN_VALUE | (frac << (63 - mantBits));
        }
        out[0] = (sign << 15) | se;
        out[1] = m;
    }

    /** Rounds an extended value to IEEE bits; flags (x87 status bits) go to {@code math.flags}. */
    static long store(int se, long m, int mantBits, int expBits, int rounding, Ext80Math math) {
        long sign = (se >>> 15) & 1;
        long signBit = sign << (mantBits + expBits);
        int expMax = (1 << expBits) - 1;
        int bias = (1 << (expBits - 1)) - 1;
        int e = se & 0x7fff;
        if (Ext80Math.unsupported(se, m)) {
            math.flags |= Ext80Math.IE;
            return (1L << (mantBits + expBits)) | ((long) expMax << mantBits) | (1L << (mantBits - 1)); // indefinite
        }
        if (e == 0x7fff) {
            if ((m << 1) == 0) {
                return signBit | ((long) expMax << mantBits);
            }
            if ((m & 0x4000000000000000L) == 0) {
                math.flags |= Ext80Math.IE;
            }
            long payload = ((m << 1) >>> (64 - mantBits)) | (1L << (mantBits - 1));
            return signBit | ((long) expMax << mantBits) | payload;
        }
        if (m == 0) {
            return signBit;
        }
        int lz = Long.numberOfLeadingZeros(m);
        long mm = m << lz;
        int ue = (e == 0 ? 1 : e) - Ext80.BIAS - lz; // value = mm * 2^(ue - 63)
        int emin = 1 - bias;
        int drop = 63 - mantBits; // keep mantBits + 1 bits
        boolean tiny = ue < emin;
        if (tiny) {
            drop += emin - ue;
        }
        long kept;
        boolean half;
        boolean rest;
        if (drop >= 64) {
            kept = 0;
            half = drop == 64 && mm < 0;
            rest = drop == 64 ? (mm << 1) != 0 : true;
        } else {
            kept = mm >>> drop;
            half = ((mm >>> (drop - 1)) & 1) != 0;
            rest = (mm & ((1L << (drop - 1)) - 1)) != 0;
        }
        boolean inexact = half || rest;
        boolean neg = sign != 0;
        boolean up = switch (rounding) {
            case 0 -> half && (rest || (kept & 1) != 0);
            case 1 -> neg && inexact;
            case 2 -> !neg && inexact;
            default -> false;
        };
        if (up) {
            kept++;
            math.roundedUp = true;
        }
        if (inexact) {
            math.flags |= Ext80Math.PE;
            if (tiny) {
                math.flags |= Ext80Math.UE;
            }
        }
        if (tiny) {
            return signBit | kept; // a carry into bit mantBits makes it the smallest normal, as it should
        }
        int be = ue + bias;
        if ((kept >>> (mantBits + 1)) != 0) { // rounding carried out
            kept >>>= 1;
            be++;
        }
        if (be >= expMax) {
            math.flags |= Ext80Math.OE | Ext80Math.PE;
            boolean toInf = rounding == 0 || (rounding == 1 && neg) || (rounding == 2 && !neg);
            math.roundedUp = toInf;
            return toInf ? signBit | ((long) expMax << mantBits)
                    : signBit | ((long) (expMax - 1) << mantBits) | ((1L << mantBits) - 1);
        }
        return signBit | ((long) be << mantBits) | (kept & ((1L << mantBits) - 1));
    }
}
