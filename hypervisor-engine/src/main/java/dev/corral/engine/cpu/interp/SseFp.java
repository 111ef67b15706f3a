package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.state.CpuState;

/**
 * IEEE single and double arithmetic with the x86 SSE rules: a NaN operand is returned quieted, the
 * first operand's NaN winning; an invalid operation returns the default NaN (negative quiet NaN);
 * the sticky MXCSR flags IE, DE, ZE, OE, UE and PE are accumulated in {@link #flags}.
 *
 * <p>Directed rounding (MXCSR.RC in {@link #rc}): Java computes the nearest result; the exact sign of
 * the rounding error (TwoSum, FMA residuals, or BigDecimal where those could underflow) then moves it
 * one ulp where the mode requires. FTZ and DAZ are not implemented (denormals are kept, as with the
 * default MXCSR).
 */
final class SseFp {

    static final int IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32;
    static final long QNAN_D = 0xfff8000000000000L;
    static final int QNAN_F = 0xffc00000;

    int flags;
    /** MXCSR.RC: 0 nearest-even, 1 down, 2 up, 3 toward zero. */
    int rc;
    /** MXCSR.DAZ: denormal operands read as zero (keeping their sign). */
    boolean daz;
    /** MXCSR.FZ with underflow masked: tiny results become zero (keeping their sign), with UE and PE. */
    boolean ftz;
    /** Overflow (underflow) unmasked: #XM follows, PE reports whether the significand alone was rounded. */
    boolean oeUnmasked;
    boolean ueUnmasked;
    /**
     * Set by add/sub/mul/div before rounding: whether the exact result fits the significand with an
     * unbounded exponent, which is what PE reports when an unmasked overflow or underflow follows.
     */
    private boolean significandExact = true;

    private long dd(long a) {
        return daz && denD(a) ? a & Long.MIN_VALUE : a;
    }

    private int df(int a) {
        return daz && denF(a) ? a & 0x80000000 : a;
    }

    private long ftzD(long r) {
        if (ftz && denD(r)) {
            flags |= UE | PE;
            return r & Long.MIN_VALUE;
        }
        return r;
    }

    private int ftzF(int r) {
        if (ftz && denF(r)) {
            flags |= UE | PE;
            return r & 0x80000000;
        }
        return r;
    }

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
        a = dd(a);
        b = dd(b);
        boolean den = denD(a) || denD(b);
        if (op >= 4) {
            if (nanD(a) || nanD(b)) {
                flags |= IE;
                return b;
            }
            flags |= den ? DE : 0;
            double x = Double.longBitsToDouble(a);
            double y = Double.longBitsToDouble(b);
            if (op == 4) {
                return x < y ? a : b;
            }
            return x > y ? a : b;
        }
        if (nanD(a) || nanD(b)) { // a NaN operand hides a denormal one (no DE)
            if (snanD(a) || snanD(b)) {
                flags |= IE;
            }
            return (nanD(a) ? a : b) | 0x0008000000000000L;
        }
        double x = Double.longBitsToDouble(a);
        double y = Double.longBitsToDouble(b);
        if (op == 3 && y == 0 && x != 0 && !Double.isInfinite(x)) {
            flags |= ZE; // zero-divide is reported alone
            return Double.doubleToRawLongBits(x / y);
        }
        flags |= den ? DE : 0;
        double r = switch (op) {
            case 0 -> x + y;
            case 1 -> x - y;
            case 2 -> x * y;
            default -> x / y;
        };
        if (Double.isNaN(r)) {
            flags |= IE;
            return QNAN_D;
        }
        if (Double.isInfinite(r) && (Double.isInfinite(x) || Double.isInfinite(y))) {
            return Double.doubleToRawLongBits(r); // exact infinity arithmetic
        }
        int es = Double.isInfinite(r) ? (r > 0 ? 1 : -1) : errorSignD(op, x, y, r);
        if (es == 0 && r == 0 && op <= 1 && rc == 1 && (Double.doubleToRawLongBits(x)
                ^ Double.doubleToRawLongBits(op == 1 ? -y : y)) < 0) {
            return Long.MIN_VALUE; // an exact zero sum of opposite signs is -0 when rounding down
        }
        significandExact = !(oeUnmasked || ueUnmasked) || SseSignificand.fits(op, x, y, 53);
        long out = ftzD(Double.doubleToRawLongBits(finishD(r, es)));
        significandExact = true;
        return out;
    }

    /** Applies the rounding mode to the nearest result {@code r}, given the sign of (exact - r). */
    private double finishD(double r, int es) {
        if (es == 0) {
            if (ueUnmasked && r != 0 && Math.abs(r) < Double.MIN_NORMAL) {
                flags |= UE; // unmasked, underflow is tininess alone
            }
            return r;
        }
        boolean overflow = Double.isInfinite(r);
        double v = overflow ? (r > 0 ? Double.MAX_VALUE : -Double.MAX_VALUE) : r;
        int toward = overflow ? (r > 0 ? 1 : -1) : es; // where the exact value lies from v
        switch (rc) {
            case 0 -> v = r;
            case 1 -> v = toward < 0 && !overflow ? Math.nextDown(v) : (overflow && r < 0 ? r : v);
            case 2 -> v = toward > 0 && !overflow ? Math.nextUp(v) : (overflow && r > 0 ? r : v);
            default -> {
                if (!overflow && ((v > 0 && toward < 0) || (v < 0 && toward > 0))) {
                    v = toward < 0 ? Math.nextDown(v) : Math.nextUp(v);
                }
            }
        }
        if (overflow || Double.isInfinite(v)) {
            // unmasked, #XM follows with no result: PE only if the significand alone was rounded
            flags |= OE | (oeUnmasked && significandExact ? 0 : PE);
            return v;
        }
        // tininess is detected before rounding: the exact value is below the smallest normal
        double ar = Math.abs(r);
        if (ar < Double.MIN_NORMAL || (ar == Double.MIN_NORMAL && (r > 0 ? es < 0 : es > 0))) {
            // unmasked, #XM follows with no result: PE only if the significand alone was rounded
            flags |= UE | (ueUnmasked && significandExact ? 0 : PE);
            return v;
        }
        flags |= PE;
        return v;
    }

    private static final double SAFE_LOW = 0x1p-900;
    private static final double SAFE_HIGH = 0x1p900;

    private static boolean extreme(double v) {
        double m = Math.abs(v);
        return m != 0 && (m < SAFE_LOW || m > SAFE_HIGH);
    }

    /** Sign of (exact x op y) - r for the finite nearest result {@code r}: 0 when exact. */
    private static int errorSignD(int op, double x, double y, double r) {
        if (Double.isInfinite(x) || Double.isInfinite(y)) {
            return 0;
        }
        if (op <= 1) {
            double yy = op == 1 ? -y : y;
            double bb = r - x;
            return (int) Math.signum((x - (r - bb)) + (yy - bb)); // TwoSum: exact error, even for subnormals
        }
        if (extreme(x) || extreme(y) || extreme(r) || (r == 0 && x != 0 && y != 0)) {
            // the error term could itself underflow or overflow: decide exactly
            java.math.BigDecimal bx = new java.math.BigDecimal(x);
            java.math.BigDecimal by = new java.math.BigDecimal(y);
            java.math.BigDecimal br = new java.math.BigDecimal(r);
            if (op == 2) {
                return bx.multiply(by).compareTo(br);
            }
            return bx.compareTo(br.multiply(by)) * by.signum(); // x/y - r has the sign of (x - r*y) / y
        }
        if (op == 2) {
            return (int) Math.signum(Math.fma(x, y, -r));
        }
        return (int) Math.signum(Math.fma(-r, y, x)) * (y > 0 ? 1 : -1);
    }

    long sqrtD(long a) {
        a = dd(a);
        if (nanD(a)) {
            if (snanD(a)) {
                flags |= IE;
            }
            return a | 0x0008000000000000L;
        }
        double x = Double.longBitsToDouble(a);
        if (x < 0) { // invalid, reported without DE
            flags |= IE;
            return QNAN_D;
        }
        if (denD(a)) {
            flags |= DE;
        }
        double r = Math.sqrt(x);
        if (!Double.isInfinite(r) && r != 0) {
            int es = extreme(x)
                    ? new java.math.BigDecimal(x).compareTo(new java.math.BigDecimal(r).pow(2))
                    : (int) -Math.signum(Math.fma(r, r, -x));
            return Double.doubleToRawLongBits(finishD(r, es));
        }
        return Double.doubleToRawLongBits(r);
    }

    /** CMPccSD predicate 0..7: EQ LT LE UNORD NEQ NLT NLE ORD; all ones when true. */
    long cmpD(int pred, long a, long b) {
        a = dd(a);
        b = dd(b);
        boolean unord = nanD(a) || nanD(b);
        if (snanD(a) || snanD(b) || (unord && (pred & 3) != 0 && (pred & 3) != 3)) {
            flags |= IE;
        }
        if (!unord && (denD(a) || denD(b))) {
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
        a = dd(a);
        b = dd(b);
        boolean unord = nanD(a) || nanD(b);
        if (snanD(a) || snanD(b) || (unord && signalQuiet)) {
            flags |= IE;
        }
        if (!unord && (denD(a) || denD(b))) {
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
        a = df(a);
        b = df(b);
        boolean den = denF(a) || denF(b);
        if (op >= 4) {
            if (nanF(a) || nanF(b)) {
                flags |= IE;
                return b;
            }
            flags |= den ? DE : 0;
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
        if (!(op == 3 && Float.intBitsToFloat(b) == 0 && Float.intBitsToFloat(a) != 0
                && !Float.isInfinite(Float.intBitsToFloat(a)))) {
            flags |= den ? DE : 0; // zero-divide is reported alone
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
        if (Float.isInfinite(r) && (Double.isInfinite(x) || Double.isInfinite(y))) {
            return Float.floatToRawIntBits(r);
        }
        int es;
        if (Float.isInfinite(r)) {
            es = r > 0 ? 1 : -1;
        } else if (op <= 1) {
            // exact value = exact + err (TwoSum); exact - r is exact in double and, when non-zero,
            // larger than |err|
            double bb = exact - x;
            double err = (x - (exact - bb)) + ((op == 1 ? -y : y) - bb);
            double d1 = exact - r;
            es = d1 != 0 ? (int) Math.signum(d1) : (int) Math.signum(err);
        } else if (exactKnown) {
            es = Double.compare(exact, r) == 0 ? 0 : exact > r ? 1 : -1;
        } else {
            es = Double.isInfinite(y) ? 0 : (int) Math.signum(Math.fma(-(double) r, y, x)) * (y > 0 ? 1 : -1);
        }
        if (es == 0 && r == 0 && op <= 1 && rc == 1
                && (Float.floatToRawIntBits((float) x) ^ Float.floatToRawIntBits((float) (op == 1 ? -y : y))) < 0) {
            return 0x80000000;
        }
        significandExact = !(oeUnmasked || ueUnmasked) || SseSignificand.fits(op, x, y, 24);
        int out = ftzF(Float.floatToRawIntBits(finishF(r, es)));
        significandExact = true;
        return out;
    }

    private float finishF(float r, int es) {
        if (es == 0) {
            if (ueUnmasked && r != 0 && Math.abs(r) < Float.MIN_NORMAL) {
                flags |= UE;
            }
            return r;
        }
        boolean overflow = Float.isInfinite(r);
        float v = overflow ? (r > 0 ? Float.MAX_VALUE : -Float.MAX_VALUE) : r;
        int toward = overflow ? (r > 0 ? 1 : -1) : es;
        switch (rc) {
            case 0 -> v = r;
            case 1 -> v = toward < 0 && !overflow ? Math.nextDown(v) : (overflow && r < 0 ? r : v);
            case 2 -> v = toward > 0 && !overflow ? Math.nextUp(v) : (overflow && r > 0 ? r : v);
            default -> {
                if (!overflow && ((v > 0 && toward < 0) || (v < 0 && toward > 0))) {
                    v = toward < 0 ? Math.nextDown(v) : Math.nextUp(v);
                }
            }
        }
        if (overflow || Float.isInfinite(v)) {
            // unmasked, #XM follows with no result: PE only if the significand alone was rounded
            flags |= OE | (oeUnmasked && significandExact ? 0 : PE);
            return v;
        }
        float ar = Math.abs(r);
        if (ar < Float.MIN_NORMAL || (ar == Float.MIN_NORMAL && (r > 0 ? es < 0 : es > 0))) {
            flags |= UE | (ueUnmasked && significandExact ? 0 : PE);
            return v;
        }
        flags |= PE;
        return v;
    }

    int sqrtF(int a) {
        a = df(a);
        if (nanF(a)) {
            if (snanF(a)) {
                flags |= IE;
            }
            return a | 0x00400000;
        }
        float x = Float.intBitsToFloat(a);
        if (x < 0) { // invalid, reported without DE
            flags |= IE;
            return QNAN_F;
        }
        if (denF(a)) {
            flags |= DE;
        }
        double d = Math.sqrt(x);
        float r = (float) d; // double sqrt then float rounding is correctly rounded for floats
        double sq = (double) r * r; // exact: 48 bits
        int es = sq == x ? 0 : x > sq ? 1 : -1;
        return Float.floatToRawIntBits(finishF(r, es));
    }

    long cmpF(int pred, int a, int b) {
        a = df(a);
        b = df(b);
        if (!nanF(a) && !nanF(b) && (denF(a) || denF(b))) {
            flags |= DE;
        }
        return cmpD(pred, f2dBitsNoFlags(a), f2dBitsNoFlags(b)) & 0xffffffffL;
    }

    long comF(int a, int b, boolean signalQuiet) {
        a = df(a);
        b = df(b);
        if (!nanF(a) && !nanF(b) && (denF(a) || denF(b))) {
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
        a = df(a);
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
        a = dd(a);
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
        if (Double.isInfinite(x)) {
            return Float.floatToRawIntBits(r);
        }
        int es = Float.isInfinite(r) ? (r > 0 ? 1 : -1) : Double.compare(x, r) == 0 ? 0 : x > r ? 1 : -1;
        if ((oeUnmasked && Float.isInfinite(r)) || (ueUnmasked && Math.abs(x) < Float.MIN_NORMAL && x != 0)) {
            // #XM will be raised without a result; PE says whether 24 bits hold the significand
            flags |= Float.isInfinite(r) ? OE : UE;
            if (!SseSignificand.fits(2, x, 1.0, 24)) { // x * 1: the odd part of x's significand,
                flags |= PE; // so a denormal double's leading zeros do not count
            }
            return Float.floatToRawIntBits(r);
        }
        return ftzF(Float.floatToRawIntBits(finishF(r, es)));
    }

    /** Integer to double, rounding to nearest (exact for 32-bit sources). */
    /** Integer to double, by the rounding mode (exact for 32-bit sources). */
    long i2d(long v) {
        double r = (double) v;
        int es = Math.abs(v) < (1L << 53) && v != Long.MIN_VALUE ? 0
                : java.math.BigDecimal.valueOf(v).compareTo(new java.math.BigDecimal(r));
        return Double.doubleToRawLongBits(finishD(r, es));
    }

    int i2f(long v) {
        float r = (float) v;
        int es = Math.abs(v) < (1L << 24) && v != Long.MIN_VALUE ? 0
                : java.math.BigDecimal.valueOf(v).compareTo(new java.math.BigDecimal(r));
        return Float.floatToRawIntBits(finishF(r, es));
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
