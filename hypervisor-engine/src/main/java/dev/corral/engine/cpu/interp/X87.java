package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MemoryFault;

/**
 * The x87 FPU: register stack, control and status words, loads, stores, integer conversions,
 * arithmetic and compares.
 *
 * <p>Precision: registers hold full 80-bit values and arithmetic (FADD, FSUB, FMUL, FDIV, FSQRT) is
 * done in the extended format ({@link Ext80Math}), correctly rounded by the precision and rounding
 * control; loads, stores and integer conversions are bit-exact ({@link Ext80Ieee}). The status word
 * tracks IE (with SF for stack faults), DE, ZE, OE, UE, PE and C1 for rounding up. Exceptions are
 * always handled as if masked (the default control word masks them all): unmasking them in FCW does
 * not raise #MF.
 */
final class X87 {

    private static final long INDEF_MANT = 0xc000000000000000L;
    private static final int INDEF_SE = 0xffff;

    final Operands x;
    final long[] mant = new long[8];
    final int[] se = new int[8];
    /** Bit n set: physical register n is empty. */
    int empty = 0xff;
    int top;
    int fcw = 0x37f;
    int fsw;
    private final boolean[] cvt = new boolean[3];
    /** Set by {@link #loadIeee} when a memory operand was a denormal single or double. */
    private boolean memDenormal;
    private final Ext80Math math = new Ext80Math();

    X87(Operands x) {
        this.x = x;
    }

    // ---- register stack ----

    int phys(int i) {
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

    /** Operand registers filled by {@link #load}: sign-and-exponent and significand. */
    private int os;
    private long om;

    /** Loads ST(i) into {@link #os}/{@link #om}; an empty register is a stack underflow (the indefinite). */
    private void load(int i) {
        if (isEmpty(i)) {
            fsw = (fsw | 0x41) & ~0x200;
            os = INDEF_SE;
            om = INDEF_MANT;
            return;
        }
        int p = phys(i);
        os = se[p];
        om = mant[p];
    }

    private void set(int i, int s, long m) {
        int p = phys(i);
        se[p] = s;
        mant[p] = m;
        empty &= ~(1 << p);
    }

    private final long[] conv = new long[2];
    private final long[] conv4 = new long[4];

    private void loadIeee(long bits, int mantBits, int expBits) {
        memDenormal = ((bits >>> mantBits) & ((1 << expBits) - 1)) == 0 && (bits & ((1L << mantBits) - 1)) != 0;
        Ext80Ieee.load(bits, mantBits, expBits, conv);
        os = (int) conv[0];
        om = conv[1];
    }

    private void loadInt(long v) {
        os = Ext80.seOfLong(v);
        om = Ext80.mantOfLong(v);
    }

    private void prepare() {
        math.flags = 0;
        math.roundedUp = false;
        int pc = (fcw >> 8) & 3;
        math.precision = pc == 0 ? 24 : pc == 2 ? 53 : 64;
        math.rounding = (fcw >> 10) & 3;
    }

    private void finish() {
        fsw = (fsw & ~0x200) | (math.flags & 0x3f) | (math.roundedUp ? 0x200 : 0);
    }

    private long storeIeee(int mantBits, int expBits) {
        load(0);
        prepare();
        long bits = Ext80Ieee.store(os, om, mantBits, expBits, (fcw >> 10) & 3, math);
        finish();
        return bits;
    }

    // ---- execution ----

    void exec(Insn i) {
        int sub = i.sub;
        if (!controlOnly(sub)) {
            fsw &= ~0x200; // C1 is 0 unless the instruction sets it (rounded up, stack overflow, sign)
        }
        if (sub < 64) {
            memory(i, sub >> 3, sub & 7);
        } else {
            register(i, (sub - 64) >> 6, (sub - 64) & 0x3f);
        }
    }

    /** FLDENV, FLDCW, FNSTENV, FNSTCW, FNSTSW, FNCLEX, FNINIT, FNOP, FFREE leave C1 alone. */
    private static boolean controlOnly(int sub) {
        if (sub < 64) {
            return (sub >= 8 + 4 && sub < 16) || sub == 5 * 8 + 7;
        }
        int esc = (sub - 64) >> 6;
        int m = (sub - 64) & 0x3f;
        return (esc == 1 && m == 0x10) || (esc == 3 && (m == 0x22 || m == 0x23)) || (esc == 5 && m < 8)
                || (esc == 7 && m == 0x20);
    }

    private void memory(Insn i, int esc, int reg) {
        long a = x.ea(i);
        CpuMemory mem = x.mem;
        switch (esc) {
            case 0, 2, 4, 6 -> {
                memDenormal = false;
                switch (esc) {
                    case 0 -> loadIeee(mem.read32(a) & 0xffffffffL, 23, 8);
                    case 2 -> loadInt(mem.read32(a));
                    case 4 -> loadIeee(mem.read64(a), 52, 11);
                    default -> loadInt((short) mem.read16(a));
                }
                int bs = os;
                long bm = om;
                boolean den = memDenormal;
                load(0);
                // a denormal memory operand is reported unless a NaN or unsupported operand makes the
                // operation invalid, or it is divided by zero (zero-divide is reported alone)
                boolean quiet = Ext80Math.isNaN(os, om) || Ext80Math.unsupported(os, om)
                        || (reg == 7 && Ext80Math.isZero(os, om));
                arithOrCompare(reg, 0, os, om, bs, bm);
                if (den && !quiet) {
                    fsw |= 0x02;
                }
            }
            case 1 -> {
                switch (reg) {
                    case 0 -> {
                        loadIeee(mem.read32(a) & 0xffffffffL, 23, 8);
                        if (Ext80Math.signalling(os, om)) {
                            fsw |= 0x01; // a signalling NaN loads as a quiet one, and is invalid
                            om |= 0x4000000000000000L;
                        }
                        push(os, om);
                        fsw |= memDenormal ? 0x02 : 0;
                    }
                    case 2, 3 -> {
                        int saved = fsw;
                        long bits = storeIeee(23, 8);
                        try {
                            mem.write32(a, (int) bits);
                        } catch (MemoryFault f) {
                            fsw = saved;
                            throw f;
                        }
                        if (reg == 3) {
                            pop();
                        }
                    }
                    case 4 -> X87Environment.load(this, a);
                    case 5 -> fcw = mem.read16(a) & 0x1f7f | 0x40;
                    case 6 -> {
                        X87Environment.store(this, a);
                        fcw |= 0x3f; // FNSTENV masks all exceptions after storing
                    }
                    default -> mem.write16(a, fcw);
                }
            }
            case 3 -> {
                switch (reg) {
                    case 0 -> push(Ext80.seOfLong(mem.read32(a)), Ext80.mantOfLong(mem.read32(a)));
                    case 1, 2, 3 -> storeInt(a, 4, reg == 1 ? 3 : (fcw >> 10) & 3, reg != 2);
                    case 5 -> {
                        long m = mem.read64(a);
                        int s = mem.read16(a + 8) & 0xffff;
                        push(s, m);
                    }
                    default -> { // 7: FSTP m80
                        load(0);
                        x.storable(a, 10); // two writes: all or nothing
                        mem.write64(a, om);
                        mem.write16(a + 8, os);
                        pop();
                    }
                }
            }
            case 5 -> {
                switch (reg) {
                    case 0 -> {
                        loadIeee(mem.read64(a), 52, 11);
                        if (Ext80Math.signalling(os, om)) {
                            fsw |= 0x01; // a signalling NaN loads as a quiet one, and is invalid
                            om |= 0x4000000000000000L;
                        }
                        push(os, om);
                        fsw |= memDenormal ? 0x02 : 0;
                    }
                    case 1 -> storeInt(a, 8, 3, true);
                    case 2, 3 -> {
                        int saved = fsw;
                        long bits = storeIeee(52, 11);
                        try {
                            mem.write64(a, bits);
                        } catch (MemoryFault f) {
                            fsw = saved;
                            throw f;
                        }
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
        int f = fsw;
        if (isEmpty(0)) {
            f |= 0x41;
            v = Long.MIN_VALUE;
        } else {
            int p = phys(0);
            v = Ext80.toLong(se[p], mant[p], mode, cvt);
            long lim = 1L << (size * 8 - 1);
            if (cvt[0] || Ext80Math.unsupported(se[p], mant[p]) || (size < 8 && (v >= lim || v < -lim))) {
                f |= 0x01;
                v = Long.MIN_VALUE;
            } else if (cvt[1]) {
                f |= 0x20 | (cvt[2] ? 0x200 : 0); // C1: rounded up
            }
        }
        switch (size) {
            case 2 -> x.mem.write16(a, v == Long.MIN_VALUE ? 0x8000 : (int) v);
            case 4 -> x.mem.write32(a, v == Long.MIN_VALUE ? 0x80000000 : (int) v);
            default -> x.mem.write64(a, v);
        }
        fsw = f;
        if (popAfter) {
            pop();
        }
    }

    int status() {
        return (fsw & ~0x3800) | (top << 11) | ((fsw & 0x3f & ~(fcw & 0x3f)) != 0 ? 0x8080 : 0);
    }

    /**
     * reg 0 ADD, 1 MUL, 2 COM, 3 COMP, 4 SUB, 5 SUBR, 6 DIV, 7 DIVR of ST(0) = (as, am) and the other
     * operand (bs, bm); the result goes to ST(dst).
     */
    private void arithOrCompare(int reg, int dst, int as, long am, int bs, long bm) {
        if (reg == 2 || reg == 3) {
            compareToStatus(as, am, bs, bm, true);
            if (reg == 3) {
                pop();
            }
            return;
        }
        arith(reg, as, am, bs, bm);
        set(dst, math.se, math.m);
    }

    /** Computes a op b into {@link #math} and merges its flags into the status word. */
    private void arith(int reg, int as, long am, int bs, long bm) {
        prepare();
        switch (reg) {
            case 0 -> math.add(as, am, bs, bm, false);
            case 1 -> math.mul(as, am, bs, bm);
            case 4 -> math.add(as, am, bs, bm, true);
            case 5 -> math.add(bs, bm, as, am, true);
            case 6 -> math.div(as, am, bs, bm);
            default -> math.div(bs, bm, as, am);
        }
        finish();
    }

    private int compare(int as, long am, int bs, long bm, boolean signalQuiet) {
        int c = Ext80Math.compare(as, am, bs, bm);
        if (c == 2 && (signalQuiet || Ext80Math.signalling(as, am) || Ext80Math.signalling(bs, bm)
                || Ext80Math.unsupported(as, am) || Ext80Math.unsupported(bs, bm))) {
            fsw |= 0x01;
        }
        if (c != 2 && ((as & 0x7fff) == 0 && am != 0 || (bs & 0x7fff) == 0 && bm != 0)) {
            fsw |= 0x02;
        }
        return c;
    }

    private void compareToStatus(int as, long am, int bs, long bm, boolean signalQuiet) {
        int c = compare(as, am, bs, bm, signalQuiet);
        fsw &= ~0x4700;
        fsw |= switch (c) {
            case 2 -> 0x4500;
            case -1 -> 0x0100;
            case 0 -> 0x4000;
            default -> 0;
        };
    }

    private void compareToFlags(int as, long am, int bs, long bm, boolean signalQuiet) {
        int c = compare(as, am, bs, bm, signalQuiet);
        long f = switch (c) {
            case 2 -> CpuState.ZF | CpuState.PF | CpuState.CF;
            case -1 -> CpuState.CF;
            case 0 -> CpuState.ZF;
            default -> 0;
        };
        fsw &= ~0x200;
        x.s.rflags = (x.s.rflags & ~Alu.ARITH) | f;
    }

    /** ST(0) vs ST(r): loads both and compares. */
    private void compareRegs(int r, boolean toFlags, boolean signalQuiet) {
        load(r);
        int bs = os;
        long bm = om;
        load(0);
        if (toFlags) {
            compareToFlags(os, om, bs, bm, signalQuiet);
        } else {
            compareToStatus(os, om, bs, bm, signalQuiet);
        }
    }

    /** ST(r) = ST(0) op ST(r) for DC/DE (their SUB/SUBR and DIV/DIVR rows read the other way). */
    private void arithToRegister(int row, int r) {
        load(r);
        int bs = os;
        long bm = om;
        load(0);
        // row 4 (E0+i): ST(i) = ST(0) - ST(i); row 5: ST(i) - ST(0); row 6: ST(0) / ST(i); row 7: ST(i) / ST(0)
        arith(row, os, om, bs, bm);
        set(r, math.se, math.m);
    }

    private void register(Insn i, int esc, int m) {
        int r = m & 7;
        int row = m >> 3;
        switch (esc) {
            case 0 -> {
                load(r);
                int bs = os;
                long bm = om;
                load(0);
                arithOrCompare(row, 0, os, om, bs, bm);
            }
            case 1 -> d9(row, r);
            case 2 -> {
                if (m == 0x29) { // FUCOMPP
                    compareRegs(1, false, false);
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
                    compareRegs(r, true, row == 6);
                }
            }
            case 4 -> arithToRegister(row, r);
            case 5 -> {
                switch (row) {
                    case 0 -> empty |= 1 << phys(r); // FFREE
                    case 2 -> copy(0, r); // FST ST(i)
                    case 3 -> { // FSTP ST(i)
                        copy(0, r);
                        pop();
                    }
                    case 4 -> compareRegs(r, false, false); // FUCOM
                    default -> { // FUCOMP
                        compareRegs(r, false, false);
                        pop();
                    }
                }
            }
            case 6 -> {
                if (m == 0x19) { // FCOMPP
                    compareRegs(1, false, true);
                    pop();
                    pop();
                    return;
                }
                arithToRegister(row, r);
                pop();
            }
            default -> {
                if (m == 0x20) { // FNSTSW AX
                    x.setReg(0, 2, status());
                } else { // FUCOMIP (row 5), FCOMIP (row 6)
                    compareRegs(r, true, row == 6);
                    pop();
                }
            }
        }
    }

    /** Copies ST(from) to ST(to) keeping all 80 bits. */
    private void copy(int from, int to) {
        load(from);
        set(to, os, om);
    }

    private void d9(int row, int r) {
        switch (row) {
            case 0 -> { // FLD ST(i)
                load(r);
                push(os, om);
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
                switch (r) {
                    case 0, 1 -> { // FCHS, FABS
                        load(0);
                        set(0, r == 0 ? os ^ 0x8000 : os & 0x7fff, om);
                    }
                    case 4 -> { // FTST
                        load(0);
                        compareToStatus(os, om, 0, 0, true);
                    }
                    default -> X87Examine.fxam(this);
                }
            }
            case 5 -> pushConstant(r);
            default -> {
                if (r == 5 || (row == 7 && r == 0)) {
                    remainderOrScale(row * 8 + r);
                    return;
                }
                if (row == 6) { // 4: FXTRACT, exponent into ST(0), then the significand pushed
                    load(0);
                    prepare();
                    Ext80Rem.extract(math, os, om, conv4);
                    fsw = (fsw & ~0x200) | (math.flags & 0x3f);
                    set(0, (int) conv4[0], conv4[1]);
                    push((int) conv4[2], conv4[3]);
                    return;
                }
                load(0);
                if (r == 2) { // FSQRT
                    prepare();
                    math.sqrt(os, om);
                    finish();
                    set(0, math.se, math.m);
                } else { // FRNDINT
                    roundToInteger();
                }
            }
        }
    }

    /** FPREM1 (0x35), FPREM (0x38), FSCALE (0x3d): ST(0) op ST(1) into ST(0). */
    private void remainderOrScale(int m) {
        load(1);
        int bs = os;
        long bm = om;
        load(0);
        prepare();
        if (m == 0x3d) {
            Ext80Rem.scale(math, os, om, bs, bm);
            finish();
        } else { // C0, C3, C1 take the quotient's low bits, C2 says "not finished"
            int cc = Ext80Rem.remainder(math, os, om, bs, bm, m == 0x35);
            fsw = (fsw & ~(Ext80Rem.C0 | Ext80Rem.C1 | Ext80Rem.C2 | Ext80Rem.C3)) | (math.flags & 0x3f) | cc;
        }
        set(0, math.se, math.m);
    }

    /** FRNDINT: unsupported formats are invalid, NaNs propagate, finite values round by RC. */
    private void roundToInteger() {
        int e = os & 0x7fff;
        if (Ext80Math.unsupported(os, om)) {
            fsw |= 0x01;
            set(0, INDEF_SE, INDEF_MANT);
            return;
        }
        if (Ext80Math.isNaN(os, om)) {
            if (Ext80Math.signalling(os, om)) {
                fsw |= 0x01;
                set(0, os, om | 0x4000000000000000L);
            }
            return;
        }
        if (e == 0x7fff || om == 0 || e - Ext80.BIAS >= 63) {
            return; // infinities, zeros and values without a fraction
        }
        if (e == 0) {
            fsw |= 0x02; // denormal operand
        }
        long v = Ext80.toLong(os, om, (fcw >> 10) & 3, cvt);
        if (cvt[1]) {
            fsw |= 0x20 | (cvt[2] ? 0x200 : 0);
        }
        boolean neg = (os & 0x8000) != 0;
        if (v == 0) {
            set(0, neg ? 0x8000 : 0, 0);
        } else {
            set(0, Ext80.seOfLong(v), Ext80.mantOfLong(v));
        }
    }

    /** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ with their exact 64-bit significands. */
    private void pushConstant(int r) {
        // The truncated 64-bit significands; the bit after them decides rounding (L2T's is 0, the
        // others' 1, and none of them is exact), so nearest rounds all but L2T up.
        int rc = (fcw >> 10) & 3;
        boolean upMode = rc == 2;
        boolean nearest = rc == 0;
        switch (r) {
            case 0 -> push(Ext80.BIAS, Long.MIN_VALUE);
            case 1 -> push(Ext80.BIAS + 1, 0xd49a784bcd1b8afeL + (upMode ? 1 : 0));
            case 2 -> push(Ext80.BIAS, 0xb8aa3b295c17f0bbL + (upMode || nearest ? 1 : 0));
            case 3 -> push(Ext80.BIAS + 1, 0xc90fdaa22168c234L + (upMode || nearest ? 1 : 0));
            case 4 -> push(Ext80.BIAS - 2, 0x9a209a84fbcff798L + (upMode || nearest ? 1 : 0));
            case 5 -> push(Ext80.BIAS - 1, 0xb17217f7d1cf79abL + (upMode || nearest ? 1 : 0));
            default -> push(0, 0);
        }
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
}
