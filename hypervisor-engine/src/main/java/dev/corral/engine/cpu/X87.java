package dev.corral.engine.cpu;

/**
 * The x87 FPU: register stack, control and status words, loads, stores, integer conversions,
 * arithmetic and compares.
 *
 * <p>Precision: registers hold full 80-bit values, so loads, stores, exchanges and integer conversions
 * (FILD/FIST of 64-bit integers included) are exact; arithmetic (FADD, FSUB, FMUL, FDIV, FSQRT) is
 * computed in IEEE double and rounded to nearest whatever the precision and rounding control say, so
 * results carry 53 significant bits where the hardware would keep 64. Exception flags tracked: invalid
 * (IE, with stack fault SF), zero-divide (ZE); precision, overflow, underflow and denormal are not.
 * Exceptions are always treated as masked (the default control word masks them all).
 */
final class X87 {

    private static final long INDEF_MANT = 0xc000000000000000L;
    private static final int INDEF_SE = 0xffff;

    private final Interp x;
    private final long[] mant = new long[8];
    private final int[] se = new int[8];
    /** Bit n set: physical register n is empty. */
    private int empty = 0xff;
    private int top;
    private int fcw = 0x37f;
    private int fsw;
    private final boolean[] cvt = new boolean[2];

    X87(Interp x) {
        this.x = x;
    }

    static boolean implemented(int sub) {
        if (sub < 64) {
            int esc = sub >> 3;
            int reg = sub & 7;
            return switch (esc) {
                case 0, 2, 4, 6 -> true; // arithmetic and compares with m32fp, m32int, m64fp, m16int
                case 1 -> reg != 1;
                case 3 -> reg != 4 && reg != 6;
                case 5 -> reg <= 3 || reg == 7;
                default -> true; // DF: FILD/FISTTP/FIST/FISTP m16, FBLD.. (4, 6 refused below), FILD/FISTP m64
            } && !(esc == 7 && (reg == 4 || reg == 6));
        }
        int esc = (sub - 64) >> 6;
        int m = (sub - 64) & 0x3f;
        return switch (esc) {
            case 0 -> true;
            case 1 -> m < 0x10 || m == 0x10 || (m >= 0x20 && m <= 0x21) || (m >= 0x24 && m <= 0x25)
                    || (m >= 0x28 && m <= 0x2e) || m == 0x3a || m == 0x3c;
            case 2 -> m < 0x20 || m == 0x29;
            case 3 -> m < 0x20 || m == 0x22 || m == 0x23 || (m >= 0x28 && m < 0x38);
            case 4 -> m < 0x10 || m >= 0x20;
            case 5 -> m < 0x08 || (m >= 0x10 && m < 0x30);
            case 6 -> m < 0x10 || m == 0x19 || m >= 0x20;
            default -> m == 0x20 || (m >= 0x28 && m < 0x38);
        };
    }

    // ---- register stack ----

    private int phys(int i) {
        return (top + i) & 7;
    }

    private boolean isEmpty(int i) {
        return (empty & (1 << phys(i))) != 0;
    }

    private void push(int s, long m) {
        int t = (top - 1) & 7;
        if ((empty & (1 << t)) == 0) {
            fsw |= 0x41 | 0x200; // stack overflow: IE, SF, C1 = 1
            s = INDEF_SE;
            m = INDEF_MANT;
        }
        top = t;
        empty &= ~(1 << t);
        se[t] = s;
        mant[t] = m;
    }

    private void pop() {
        empty |= 1 << top;
        top = (top + 1) & 7;
    }

    /** Reads ST(i) as a double, raising a stack fault (and giving the indefinite) when it is empty. */
    private double get(int i) {
        if (isEmpty(i)) {
            fsw |= 0x41;
            fsw &= ~0x200;
            return Double.longBitsToDouble(0xfff8000000000000L);
        }
        int p = phys(i);
        return Ext80.toDouble(se[p], mant[p]);
    }

    private void setD(int i, double v) {
        int p = phys(i);
        if (Double.isNaN(v) && (Double.doubleToRawLongBits(v) & 0x0008000000000000L) == 0) {
            v = Double.longBitsToDouble(Double.doubleToRawLongBits(v) | 0x0008000000000000L);
        }
        se[p] = Ext80.seOf(v);
        mant[p] = Ext80.mantOf(v);
        empty &= ~(1 << p);
    }

    private void pushD(double v) {
        push(Ext80.seOf(v), Ext80.mantOf(v));
    }

    // ---- execution ----

    void exec(Insn i) {
        int sub = i.sub;
        if (sub < 64) {
            memory(i, sub >> 3, sub & 7);
        } else {
            register(i, (sub - 64) >> 6, (sub - 64) & 0x3f);
        }
    }

    private void memory(Insn i, int esc, int reg) {
        long a = x.ea(i);
        CpuMemory mem = x.mem;
        switch (esc) {
            case 0, 2, 4, 6 -> {
                double v = switch (esc) {
                    case 0 -> Float.intBitsToFloat(mem.read32(a));
                    case 2 -> (double) mem.read32(a);
                    case 4 -> Double.longBitsToDouble(mem.read64(a));
                    default -> (double) (short) mem.read16(a);
                };
                arithOrCompare(reg, 0, v, true);
            }
            case 1 -> {
                switch (reg) {
                    case 0 -> pushD(Float.intBitsToFloat(mem.read32(a)));
                    case 2, 3 -> {
                        mem.write32(a, Float.floatToRawIntBits((float) get(0)));
                        if (reg == 3) {
                            pop();
                        }
                    }
                    case 4 -> loadEnv(a);
                    case 5 -> fcw = mem.read16(a) & 0x1f7f | 0x40;
                    case 6 -> {
                        storeEnv(a);
                        fcw |= 0x3f; // FNSTENV masks all exceptions after storing
                    }
                    default -> mem.write16(a, fcw);
                }
            }
            case 3 -> {
                switch (reg) {
                    case 0 -> {
                        long v = mem.read32(a);
                        push(Ext80.seOfLong(v), Ext80.mantOfLong(v));
                    }
                    case 1, 2, 3 -> storeInt(a, 4, reg == 1 ? 3 : (fcw >> 10) & 3, reg != 2);
                    case 5 -> {
                        long m = mem.read64(a);
                        int s = mem.read16(a + 8) & 0xffff;
                        push(s, m);
                    }
                    default -> { // 7: FSTP m80
                        int p = phys(0);
                        long m = isEmpty(0) ? INDEF_MANT : mant[p];
                        int s = isEmpty(0) ? INDEF_SE : se[p];
                        if (isEmpty(0)) {
                            fsw |= 0x41;
                        }
                        mem.write64(a, m);
                        mem.write16(a + 8, s);
                        pop();
                    }
                }
            }
            case 5 -> {
                switch (reg) {
                    case 0 -> pushD(Double.longBitsToDouble(mem.read64(a)));
                    case 1 -> storeInt(a, 8, 3, true);
                    case 2, 3 -> {
                        mem.write64(a, Double.doubleToRawLongBits(get(0)));
                        if (reg == 3) {
                            pop();
                        }
                    }
                    default -> mem.write16(a, status()); // 7: FNSTSW m16
                }
            }
            default -> { // DF
                switch (reg) {
                    case 0 -> {
                        long v = (short) mem.read16(a);
                        push(Ext80.seOfLong(v), Ext80.mantOfLong(v));
                    }
                    case 1, 2, 3 -> storeInt(a, 2, reg == 1 ? 3 : (fcw >> 10) & 3, reg != 2);
                    case 5 -> {
                        long v = mem.read64(a);
                        push(Ext80.seOfLong(v), Ext80.mantOfLong(v));
                    }
                    default -> storeInt(a, 8, (fcw >> 10) & 3, true); // 7: FISTP m64
                }
            }
        }
    }

    /** FIST/FISTP/FISTTP: out of range or NaN stores the integer indefinite (IE). */
    private void storeInt(long a, int size, int mode, boolean popAfter) {
        long v;
        if (isEmpty(0)) {
            fsw |= 0x41;
            v = Long.MIN_VALUE;
        } else {
            int p = phys(0);
            v = Ext80.toLong(se[p], mant[p], mode, cvt);
            long lim = 1L << (size * 8 - 1);
            if (cvt[0] || (size < 8 && (v >= lim || v < -lim))) {
                fsw |= 0x01;
                v = Long.MIN_VALUE;
            } else if (cvt[1]) {
                fsw |= 0x20;
            }
        }
        switch (size) {
            case 2 -> x.mem.write16(a, v == Long.MIN_VALUE ? 0x8000 : (int) v);
            case 4 -> x.mem.write32(a, v == Long.MIN_VALUE ? 0x80000000 : (int) v);
            default -> x.mem.write64(a, v);
        }
        if (popAfter) {
            pop();
        }
    }

    private int status() {
        return (fsw & ~0x3800) | (top << 11) | ((fsw & 0x3f & ~(fcw & 0x3f)) != 0 ? 0x8080 : 0);
    }

    /** reg 0 ADD, 1 MUL, 2 COM, 3 COMP, 4 SUB, 5 SUBR, 6 DIV, 7 DIVR; destination ST(dst), other operand v. */
    private void arithOrCompare(int reg, int dst, double v, boolean st0IsLeft) {
        double a = get(0);
        if (reg == 2 || reg == 3) {
            compareToStatus(a, v, true);
            if (reg == 3) {
                pop();
            }
            return;
        }
        setD(dst, arith(reg, a, v));
    }

    private double arith(int reg, double a, double b) {
        double r = switch (reg) {
            case 0 -> a + b;
            case 1 -> a * b;
            case 4 -> a - b;
            case 5 -> b - a;
            case 6 -> a / b;
            default -> b / a;
        };
        if (Double.isNaN(r)) {
            if (Double.isNaN(a) || Double.isNaN(b)) {
                return Double.isNaN(a) ? a : b; // quieted when stored
            }
            fsw |= 0x01;
            return Double.longBitsToDouble(0xfff8000000000000L);
        }
        boolean divZero = (reg == 6 && b == 0 && !Double.isInfinite(a)) || (reg == 7 && a == 0 && !Double.isInfinite(b));
        if (divZero) {
            fsw |= 0x04;
        }
        return r;
    }

    private void compareToStatus(double a, double b, boolean signalQuiet) {
        fsw &= ~0x4700;
        if (Double.isNaN(a) || Double.isNaN(b)) {
            fsw |= 0x4500;
            if (signalQuiet) {
                fsw |= 0x01;
            }
        } else if (a < b) {
            fsw |= 0x0100;
        } else if (a == b) {
            fsw |= 0x4000;
        }
    }

    private void compareToFlags(double a, double b, boolean signalQuiet) {
        long f;
        if (Double.isNaN(a) || Double.isNaN(b)) {
            f = CpuState.ZF | CpuState.PF | CpuState.CF;
            if (signalQuiet) {
                fsw |= 0x01;
            }
        } else {
            f = a < b ? CpuState.CF : a == b ? CpuState.ZF : 0;
        }
        fsw &= ~0x200;
        x.s.rflags = (x.s.rflags & ~Alu.ARITH) | f;
    }

    private void register(Insn i, int esc, int m) {
        int r = m & 7;
        int row = m >> 3;
        switch (esc) {
            case 0 -> arithOrCompare(row, 0, get(r), true);
            case 1 -> d9(row, r);
            case 2 -> {
                if (m == 0x29) { // FUCOMPP
                    compareToStatus(get(0), get(1), false);
                    pop();
                    pop();
                } else { // FCMOVB, FCMOVE, FCMOVBE, FCMOVU
                    long f = x.s.rflags;
                    boolean c = switch (row) {
                        case 0 -> (f & CpuState.CF) != 0;
                        case 1 -> (f & CpuState.ZF) != 0;
                        case 2 -> (f & (CpuState.CF | CpuState.ZF)) != 0;
                        default -> (f & CpuState.PF) != 0;
                    };
                    if (c) {
                        copy(r, 0);
                    }
                }
            }
            case 3 -> {
                if (row < 4) { // FCMOVNB, FCMOVNE, FCMOVNBE, FCMOVNU
                    long f = x.s.rflags;
                    boolean c = switch (row) {
                        case 0 -> (f & CpuState.CF) == 0;
                        case 1 -> (f & CpuState.ZF) == 0;
                        case 2 -> (f & (CpuState.CF | CpuState.ZF)) == 0;
                        default -> (f & CpuState.PF) == 0;
                    };
                    if (c) {
                        copy(r, 0);
                    }
                } else if (m == 0x22) { // FNCLEX
                    fsw &= ~0x80ff;
                } else if (m == 0x23) { // FNINIT
                    init();
                } else { // FUCOMI (row 5), FCOMI (row 6)
                    compareToFlags(get(0), get(r), row == 6);
                }
            }
            case 4 -> setD(r, arith(row, get(0), get(r))); // DC: ST(i) = ST(0) op ST(i) (rows 5, 7 reversed)
            case 5 -> {
                switch (row) {
                    case 0 -> empty |= 1 << phys(r); // FFREE
                    case 2 -> copy(0, r); // FST ST(i)
                    case 3 -> { // FSTP ST(i)
                        copy(0, r);
                        pop();
                    }
                    case 4 -> compareToStatus(get(0), get(r), false); // FUCOM
                    default -> { // FUCOMP
                        compareToStatus(get(0), get(r), false);
                        pop();
                    }
                }
            }
            case 6 -> {
                if (m == 0x19) { // FCOMPP
                    compareToStatus(get(0), get(1), true);
                    pop();
                    pop();
                    return;
                }
                setD(r, arith(row, get(0), get(r))); // DE: as DC, then pop
                pop();
            }
            default -> {
                if (m == 0x20) { // FNSTSW AX
                    x.setReg(0, 2, status());
                } else { // FUCOMIP (row 5), FCOMIP (row 6)
                    compareToFlags(get(0), get(r), row == 6);
                    pop();
                }
            }
        }
    }

    /** Copies ST(from) to ST(to) keeping all 80 bits. */
    private void copy(int from, int to) {
        if (isEmpty(from)) {
            setD(to, get(from));
            return;
        }
        int pf = phys(from);
        int pt = phys(to);
        se[pt] = se[pf];
        mant[pt] = mant[pf];
        empty &= ~(1 << pt);
    }

    private void d9(int row, int r) {
        switch (row) {
            case 0 -> { // FLD ST(i)
                if (isEmpty(r)) {
                    pushD(get(r));
                } else {
                    int p = phys(r);
                    push(se[p], mant[p]);
                }
            }
            case 1 -> { // FXCH
                int a = phys(0);
                int b = phys(r);
                long m = mant[a];
                int s = se[a];
                boolean ea = (empty & (1 << a)) != 0;
                boolean eb = (empty & (1 << b)) != 0;
                mant[a] = mant[b];
                se[a] = se[b];
                mant[b] = m;
                se[b] = s;
                empty = (empty & ~((1 << a) | (1 << b))) | (eb ? 1 << a : 0) | (ea ? 1 << b : 0);
            }
            case 2 -> { } // FNOP
            case 4 -> {
                int p = phys(0);
                switch (r) {
                    case 0 -> se[p] ^= 0x8000; // FCHS
                    case 1 -> se[p] &= 0x7fff; // FABS
                    case 4 -> compareToStatus(get(0), 0.0, true); // FTST
                    default -> fxam();
                }
            }
            case 5 -> pushConstant(r);
            default -> {
                if (r == 2) { // FSQRT
                    double a = get(0);
                    if (a < 0) {
                        fsw |= 0x01;
                        setD(0, Double.longBitsToDouble(0xfff8000000000000L));
                    } else {
                        setD(0, Math.sqrt(a));
                    }
                } else { // FRNDINT
                    int p = phys(0);
                    int e = se[p] & 0x7fff;
                    if (e != 0x7fff && mant[p] != 0 && e - Ext80.BIAS < 63) {
                        long v = Ext80.toLong(se[p], mant[p], (fcw >> 10) & 3, cvt);
                        boolean neg = (se[p] & 0x8000) != 0;
                        if (v == 0) {
                            se[p] = neg ? 0x8000 : 0;
                            mant[p] = 0;
                        } else {
                            se[p] = Ext80.seOfLong(v);
                            mant[p] = Ext80.mantOfLong(v);
                        }
                    }
                }
            }
        }
    }

    private void fxam() {
        int p = phys(0);
        int c1 = (se[p] & 0x8000) != 0 ? 0x200 : 0;
        int e = se[p] & 0x7fff;
        long m = mant[p];
        int cls;
        if ((empty & (1 << p)) != 0) {
            cls = 0x4100;
        } else if (e == 0x7fff) {
            cls = (m << 1) == 0 ? 0x0500 : 0x0100;
        } else if (e == 0 && m == 0) {
            cls = 0x4000;
        } else if (e == 0) {
            cls = 0x4400;
        } else {
            cls = m < 0 ? 0x0400 : 0;
        }
        fsw = (fsw & ~0x4700) | cls | c1;
    }

    /** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ with their exact 64-bit significands. */
    private void pushConstant(int r) {
        switch (r) {
            case 0 -> push(Ext80.BIAS, Long.MIN_VALUE);
            case 1 -> push(Ext80.BIAS + 1, 0xd49a784bcd1b8afeL);
            case 2 -> push(Ext80.BIAS, 0xb8aa3b295c17f0bcL);
            case 3 -> push(Ext80.BIAS + 1, 0xc90fdaa22168c235L);
            case 4 -> push(Ext80.BIAS - 2, 0x9a209a84fbcff799L);
            case 5 -> push(Ext80.BIAS - 1, 0xb17217f7d1cf79acL);
            default -> push(0, 0);
        }
    }

    /** The 28-byte environment (FCW, FSW, full tag word, zero instruction and data pointers). */
    private void storeEnv(long a) {
        CpuMemory mem = x.mem;
        int tags = 0;
        for (int p = 0; p < 8; p++) {
            int t;
            if ((empty & (1 << p)) != 0) {
                t = 3;
            } else {
                int e = se[p] & 0x7fff;
                if (e == 0 && mant[p] == 0) {
                    t = 1;
                } else if (e == 0x7fff || e == 0 || mant[p] >= 0) {
                    t = 2;
                } else {
                    t = 0;
                }
            }
            tags |= t << (2 * p);
        }
        mem.write64(a + 20, 0); // probe the last bytes first: a fault must leave memory unchanged
        mem.write32(a, fcw | 0xffff0000);
        mem.write32(a + 4, status() | 0xffff0000);
        mem.write32(a + 8, tags | 0xffff0000);
        mem.write64(a + 12, 0);
        mem.write32(a + 24, 0xffff0000);
    }

    private void loadEnv(long a) {
        CpuMemory mem = x.mem;
        int cw = mem.read16(a) & 0xffff;
        int sw = mem.read16(a + 4) & 0xffff;
        int tags = mem.read16(a + 8) & 0xffff;
        fcw = cw;
        fsw = sw & ~0x3800;
        top = (sw >> 11) & 7;
        int e = 0;
        for (int p = 0; p < 8; p++) {
            if (((tags >> (2 * p)) & 3) == 3) {
                e |= 1 << p;
            }
        }
        empty = e;
    }

    // ---- MMX aliasing ----

    /** Any MMX instruction: TOP = 0 and all registers valid. */
    void mmxEnter() {
        top = 0;
        empty = 0;
    }

    long mmxRead(int k) {
        mmxEnter();
        return mant[k];
    }

    void mmxWrite(int k, long v) {
        mmxEnter();
        mant[k] = v;
        se[k] = 0xffff;
    }

    void emms() {
        empty = 0xff;
    }

    private void init() {
        fcw = 0x37f;
        fsw = 0;
        top = 0;
        empty = 0xff;
    }

    void fxsave(long a) {
        CpuMemory mem = x.mem;
        mem.write16(a, fcw);
        mem.write16(a + 2, status());
        int ftw = 0;
        for (int p = 0; p < 8; p++) {
            if ((empty & (1 << p)) == 0) {
                ftw |= 1 << p;
            }
        }
        mem.write8(a + 4, ftw);
        mem.write8(a + 5, 0);
        mem.write16(a + 6, 0);
        mem.write64(a + 8, 0);
        mem.write64(a + 16, 0);
        for (int k = 0; k < 8; k++) {
            int p = phys(k);
            mem.write64(a + 32 + 16L * k, mant[p]);
            mem.write16(a + 40 + 16L * k, se[p]);
            mem.write16(a + 42 + 16L * k, 0);
            mem.write32(a + 44 + 16L * k, 0);
        }
    }

    void fxrstor(long a) {
        CpuMemory mem = x.mem;
        int cw = mem.read16(a) & 0xffff;
        int sw = mem.read16(a + 2) & 0xffff;
        int ftw = mem.read8(a + 4) & 0xff;
        long[] m = new long[8];
        int[] s = new int[8];
        for (int k = 0; k < 8; k++) {
            m[k] = mem.read64(a + 32 + 16L * k);
            s[k] = mem.read16(a + 40 + 16L * k) & 0xffff;
        }
        fcw = cw;
        fsw = sw & ~0x3800;
        top = (sw >> 11) & 7;
        empty = ~ftw & 0xff;
        for (int k = 0; k < 8; k++) {
            int p = phys(k);
            mant[p] = m[k];
            se[p] = s[k];
        }
    }
}
