package dev.corral.engine.cpu;

/**
 * IEEE single and double arithmetic with the x86 SSE rules: a NaN operand is returned quieted, the
 * first operand's NaN winning; an invalid operation returns the default NaN (negative quiet NaN);
 * the sticky MXCSR flags IE, DE, ZE, OE, UE and PE are accumulated in {@link #flags}.
 *
 * <p>Results are rounded to nearest-even whatever MXCSR.RC says (Java arithmetic has no directed
 * rounding); conversions to integers do honour RC. FTZ and DAZ are not implemented (denormals are
 * kept, as with the default MXCSR).
 */
final class SseFp {

    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32;
    static final long QNAN_D = 0xfff8000000000000L;
    static final int QNAN_F = 0xffc00000;

    int flags;

    // ---- classification ----

    static boolean nanD(long a) {
        return (a & 0x7fffffffffffffffL) > 0x7ff0000000000000L;
    }

    static boolean snanD(long a) {
        return nanD(a) && (a & 0x0008000000000000L) == 0;
    }

    static boolean denD(long a) {
        return (a & 0x7ff0000000000000L) == 0 && (a & 0x000fffffffffffffL) != 0;
    }

    static boolean nanF(int a) {
        return (a & 0x7fffffff) > 0x7f800000;
    }

    static boolean snanF(int a) {
        return nanF(a) && (a & 0x00400000) == 0;
    }

    static boolean denF(int a) {
        return (a & 0x7f800000) == 0 && (a & 0x007fffff) != 0;
    }

    // ---- double ----

    /** Binary operation on doubles: op 0 add, 1 sub, 2 mul, 3 div, 4 min, 5 max. */
    long binD(int op, long a, long b) {
        if (denD(a) || denD(b)) {
            flags |= DE;
        }
        if (op >= 4) {
            double x = Double.longBitsToDouble(a);
            double y = Double.longBitsToDouble(b);
            if (nanD(a) || nanD(b)) {
                flags |= IE;
                return b;
            }
            if (op == 4) {
                return x < y ? a : b;
            }
            return x > y ? a : b;
        }
        if (nanD(a) || nanD(b)) {
            if (snanD(a) || snanD(b)) {
                flags |= IE;
            }
            return (nanD(a) ? a : b) | 0x0008000000000000L;
        }
        double x = Double.longBitsToDouble(a);
        double y = Double.longBitsToDouble(b);
        double r;
        boolean inexact;
        switch (op) {
            case 0, 1 -> {
                if (op == 1) {
                    y = -y;
                }
                r = x + y;
                double bb = r - x;
                double err = (x - (r - bb)) + (y - bb);
                inexact = !Double.isInfinite(r) && err != 0;
            }
            case 2 -> {
                r = x * y;
                inexact = !Double.isInfinite(r) && !Double.isNaN(r) && Math.fma(x, y, -r) != 0;
            }
            default -> {
                r = x / y;
                if (y == 0 && !Double.isNaN(x) && x != 0 && !Double.isInfinite(x)) {
                    flags |= ZE;
                    return Double.doubleToRawLongBits(r);
                }
                inexact = !Double.isInfinite(r) && !Double.isNaN(r) && r != 0 && !Double.isInfinite(y)
                        ? Math.fma(-r, y, x) != 0 : r == 0 && x != 0 && !Double.isInfinite(y);
            }
        }
        return finishD(r, x, y, inexact);
    }

    private long finishD(double r, double x, double y, boolean inexact) {
        if (Double.isNaN(r)) {
            flags |= IE;
            return QNAN_D;
        }
        if (Double.isInfinite(r) && !Double.isInfinite(x) && !Double.isInfinite(y)) {
            flags |= OE | PE;
        } else if (inexact) {
            flags |= PE;
            if (Math.abs(r) < Double.MIN_NORMAL) {
                flags |= UE;
            }
        }
        return Double.doubleToRawLongBits(r);
    }

    long sqrtD(long a) {
        if (nanD(a)) {
            if (snanD(a)) {
                flags |= IE;
            }
            return a | 0x0008000000000000L;
        }
        if (denD(a)) {
            flags |= DE;
        }
        double x = Double.longBitsToDouble(a);
        if (x < 0) {
            flags |= IE;
            return QNAN_D;
        }
        double r = Math.sqrt(x);
        if (!Double.isInfinite(r) && Math.fma(r, r, -x) != 0) {
            flags |= PE;
        }
        return Double.doubleToRawLongBits(r);
    }

    /** CMPccSD predicate 0..7: EQ LT LE UNORD NEQ NLT NLE ORD; all ones when true. */
    long cmpD(int pred, long a, long b) {
        boolean unord = nanD(a) || nanD(b);
        if (snanD(a) || snanD(b) || (unord && (pred & 3) != 0 && (pred & 3) != 3)) {
            flags |= IE;
        }
        if (denD(a) || denD(b)) {
            flags |= DE;
        }
        double x = Double.longBitsToDouble(a);
        double y = Double.longBitsToDouble(b);
        boolean r = switch (pred) {
            case 0 -> !unord && x == y;
            case 1 -> !unord && x < y;
            case 2 -> !unord && x <= y;
            case 3 -> unord;
            case 4 -> unord || x != y;
            case 5 -> unord || !(x < y);
            case 6 -> unord || !(x <= y);
            default -> !unord;
        };
        return r ? -1L : 0;
    }

    /** (U)COMISD: the ZF, PF, CF result bits; {@code signalQuiet} for COMISD. */
    long comD(long a, long b, boolean signalQuiet) {
        boolean unord = nanD(a) || nanD(b);
        if (snanD(a) || snanD(b) || (unord && signalQuiet)) {
            flags |= IE;
        }
        if (denD(a) || denD(b)) {
            flags |= DE;
        }
        if (unord) {
            return CpuState.ZF | CpuState.PF | CpuState.CF;
        }
        double x = Double.longBitsToDouble(a);
        double y = Double.longBitsToDouble(b);
        return x == y ? CpuState.ZF : x < y ? CpuState.CF : 0;
    }

    // ---- single: computed in double, which rounds exactly once for these operations ----

    int binF(int op, int a, int b) {
        if (denF(a) || denF(b)) {
            flags |= DE;
        }
        if (op >= 4) {
            if (nanF(a) || nanF(b)) {
                flags |= IE;
                return b;
            }
            float x = Float.intBitsToFloat(a);
            float y = Float.intBitsToFloat(b);
            if (op == 4) {
                return x < y ? a : b;
            }
            return x > y ? a : b;
        }
        if (nanF(a) || nanF(b)) {
            if (snanF(a) || snanF(b)) {
                flags |= IE;
            }
            return (nanF(a) ? a : b) | 0x00400000;
        }
        double x = Float.intBitsToFloat(a);
        double y = Float.intBitsToFloat(b);
        double exact;
        boolean exactKnown = true;
        switch (op) {
            case 0 -> exact = x + y;
            case 1 -> exact = x - y;
            case 2 -> exact = x * y; // 24 + 24 bits fit a double exactly
            default -> {
                exact = x / y;
                if (y == 0 && x != 0 && !Double.isInfinite(x)) {
                    flags |= ZE;
                    return Float.floatToRawIntBits((float) exact);
                }
                exactKnown = false;
            }
        }
        float r = switch (op) {
            case 0 -> (float) x + (float) y;
            case 1 -> (float) x - (float) y;
            case 2 -> (float) x * (float) y;
            default -> (float) x / (float) y;
        };
        if (Float.isNaN(r)) {
            flags |= IE;
            return QNAN_F;
        }
        boolean inexact;
        if (op <= 1) {
            // the double sum of two floats can itself be inexact only if it is far off the float grid
            double bb = exact - x;
            double err = (x - (exact - bb)) + ((op == 1 ? -y : y) - bb);
            inexact = err != 0 || (double) r != exact;
        } else if (exactKnown) {
            inexact = (double) r != exact;
        } else {
            inexact = !Float.isInfinite(r) && !Double.isInfinite(y) && Math.fma(-(double) r, y, x) != 0;
        }
        if (Float.isInfinite(r) && !Double.isInfinite(x) && !Double.isInfinite(y)) {
            flags |= OE | PE;
        } else if (inexact && !Float.isInfinite(r)) {
            flags |= PE;
            if (Math.abs(r) < Float.MIN_NORMAL) {
                flags |= UE;
            }
        }
        return Float.floatToRawIntBits(r);
    }

    int sqrtF(int a) {
        if (nanF(a)) {
            if (snanF(a)) {
                flags |= IE;
            }
            return a | 0x00400000;
        }
        if (denF(a)) {
            flags |= DE;
        }
        float x = Float.intBitsToFloat(a);
        if (x < 0) {
            flags |= IE;
            return QNAN_F;
        }
        double d = Math.sqrt(x);
        float r = (float) d; // double sqrt then float rounding is correctly rounded for floats
        if ((double) r * r != x) {
            flags |= PE;
        }
        return Float.floatToRawIntBits(r);
    }

    long cmpF(int pred, int a, int b) {
        if (denF(a) || denF(b)) {
            flags |= DE;
        }
        return cmpD(pred, f2dBitsNoFlags(a), f2dBitsNoFlags(b)) & 0xffffffffL;
    }

    long comF(int a, int b, boolean signalQuiet) {
        if (denF(a) || denF(b)) {
            flags |= DE;
        }
        return comD(f2dBitsNoFlags(a), f2dBitsNoFlags(b), signalQuiet);
    }

    /** Widening without rounding, keeping NaN signalling-ness (for comparisons only). */
    private static long f2dBitsNoFlags(int a) {
        if (nanF(a)) {
            long payload = (long) (a & 0x003fffff) << 29;
            long quiet = (a & 0x00400000) != 0 ? 0x0008000000000000L : 0;
            long mant = payload | quiet;
            if (mant == 0) {
                mant = 1; // keep an SNaN with a zero payload a NaN
            }
            return ((long) (a >>> 31) << 63) | 0x7ff0000000000000L | mant;
        }
        return Double.doubleToRawLongBits(Float.intBitsToFloat(a));
    }

    // ---- conversions ----

    long f2d(int a) {
        if (nanF(a)) {
            if (snanF(a)) {
                flags |= IE;
            }
            return ((long) (a >>> 31) << 63) | 0x7ff8000000000000L | ((long) (a & 0x003fffff) << 29);
        }
        if (denF(a)) {
            flags |= DE;
        }
        return Double.doubleToRawLongBits(Float.intBitsToFloat(a));
    }

    int d2f(long a) {
        if (nanD(a)) {
            if (snanD(a)) {
                flags |= IE;
            }
            return (int) ((a >>> 63) << 31) | 0x7fc00000 | (int) ((a >>> 29) & 0x003fffff);
        }
        if (denD(a)) {
            flags |= DE;
        }
        double x = Double.longBitsToDouble(a);
        float r = (float) x;
        if (Float.isInfinite(r) && !Double.isInfinite(x)) {
            flags |= OE | PE;
        } else if ((double) r != x) {
            flags |= PE;
            if (Math.abs(r) < Float.MIN_NORMAL) {
                flags |= UE;
            }
        }
        return Float.floatToRawIntBits(r);
    }

    /** Integer to double, rounding to nearest (exact for 32-bit sources). */
    long i2d(long v) {
        double r = (double) v;
        if ((long) r != v || (v == Long.MAX_VALUE)) {
            flags |= PE;
        }
        return Double.doubleToRawLongBits(r);
    }

    int i2f(long v) {
        float r = (float) v;
        if (new java.math.BigDecimal(r).compareTo(java.math.BigDecimal.valueOf(v)) != 0) {
            flags |= PE;
        }
        return Float.floatToRawIntBits(r);
    }

    /**
     * Double to a signed integer of {@code bits} (32 or 64) by {@code mode}: 0 nearest-even, 1 down,
     * 2 up, 3 truncate. Out of range or NaN gives the integer indefinite value and IE.
     */
    long d2i(double x, int bits, int mode) {
        if (Double.isNaN(x)) {
            flags |= IE;
            return bits == 64 ? Long.MIN_VALUE : 0x80000000L;
        }
        double r = switch (mode) {
            case 0 -> Math.rint(x);
            case 1 -> Math.floor(x);
            case 2 -> Math.ceil(x);
            default -> x < 0 ? Math.ceil(x) : Math.floor(x);
        };
        double lim = bits == 64 ? 0x1p63 : 0x1p31;
        if (r >= lim || r < -lim) {
            flags |= IE;
            return bits == 64 ? Long.MIN_VALUE : 0x80000000L;
        }
        if (r != x) {
            flags |= PE;
        }
        long v = (long) r;
        return bits == 64 ? v : v & 0xffffffffL;
    }
}
