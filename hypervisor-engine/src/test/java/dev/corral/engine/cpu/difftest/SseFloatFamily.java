package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.List;

/**
 * SSE/SSE2 floating point: arithmetic, min/max, sqrt (scalar and packed, single and double), logic,
 * compares (CMPxx with every predicate, UCOMI/COMI), conversions (to and from integers, truncating and
 * rounding, between widths), moves and shuffles; on operands full of signed zeros, infinities, NaNs,
 * denormals and edges, under random rounding modes, FTZ/DAZ and exception masks. RCPxx/RSQRTxx are
 * left out: their precision is implementation specific.
 */
final class SseFloatFamily {

    /** Prefix per type: packed single, packed double, scalar single, scalar double. */
    private static final int[] PREFIX = {0, 0x66, 0xf3, 0xf2};
    private static final String[] SUFFIX = {"ps", "pd", "ss", "sd"};
    /** Arithmetic opcodes valid in all four types: add mul sub min div max sqrt. */
    private static final int[] ARITH = {0x58, 0x59, 0x5c, 0x5d, 0x5e, 0x5f, 0x51};
    private static final String[] ARITH_NAMES = {"add", "mul", "sub", "min", "div", "max", "sqrt"};

    private SseFloatFamily() {}

    static CaseGenerator generator() {
        return new SequenceGenerator("sse-float", 0, 5, SseFloatFamily::specialValues, List.of(
                SseFloatFamily::arith, SseFloatFamily::arith, SseFloatFamily::arith, SseFloatFamily::logic,
                SseFloatFamily::compare, SseFloatFamily::compareFlags, SseFloatFamily::convert, SseFloatFamily::convert,
                SseFloatFamily::toFromGpr, SseFloatFamily::move, SseFloatFamily::shuffle, SseFloatFamily::mxcsrAccess,
                SseFloatFamily::halves));
    }

    private static void specialValues(Operands o) {
        for (int i = 0; i < 32; i++) o.init.xmm[i] = FloatValues.lane(o.rnd);
        for (int i = 0; i < 160; i++) {
            int at = o.rnd.nextInt(GuestLayout.PAGE / 8) * 8;
            System.arraycopy(X86.le(FloatValues.lane(o.rnd), 8), 0, o.data, at, 8);
        }
        o.init.mxcsr = FloatValues.mxcsr(o.rnd);
    }

    /** A source operand for type {@code t}: XMM, or memory of the element (scalar) or 16 aligned bytes. */
    private static Operand source(Operands o, int t) {
        if (o.rnd.nextInt(3) != 0) return new Operand.Xmm(o.xmm());
        if (t >= 2) return o.mem(t == 2 ? 4 : 8);
        return o.rnd.nextInt(12) == 0 ? o.mem(16) : o.alignedMem(16);
    }

    private static Insn arith(Operands o) {
        int t = o.rnd.nextInt(4);
        int k = o.rnd.nextInt(ARITH.length);
        int x = o.xmm();
        Operand rm = source(o, t);
        return Forms.sse(ARITH_NAMES[k] + SUFFIX[t] + " xmm" + x + ", " + SseIntFamily.name(rm), PREFIX[t], false,
                op(0x0f, ARITH[k]), x, rm, new byte[0], 0);
    }

    /** and/andn/or/xor, ps (0F) and pd (66 0F), and unpcklpd/unpckhpd/unpcklps/unpckhps. */
    private static Insn logic(Operands o) {
        int t = o.rnd.nextInt(2);
        int[] opcodes = {0x54, 0x55, 0x56, 0x57, 0x14, 0x15};
        String[] names = {"and", "andn", "or", "xor", "unpckl", "unpckh"};
        int k = o.rnd.nextInt(opcodes.length);
        int x = o.xmm();
        Operand rm = source(o, t);
        return Forms.sse(names[k] + SUFFIX[t] + " xmm" + x + ", " + SseIntFamily.name(rm), PREFIX[t], false,
                op(0x0f, opcodes[k]), x, rm, new byte[0], 0);
    }

    private static Insn compare(Operands o) {
        int t = o.rnd.nextInt(4);
        int x = o.xmm();
        Operand rm = source(o, t);
        int predicate = o.rnd.nextInt(8);
        return Forms.sse("cmp" + SUFFIX[t] + " xmm" + x + ", " + SseIntFamily.name(rm) + ", " + predicate, PREFIX[t], false,
                op(0x0f, 0xc2), x, rm, Forms.imm(predicate, 1), 0);
    }

    /** ucomiss/comiss (0F 2E/2F), ucomisd/comisd (66): ZF PF CF from the compare, OF SF AF cleared. */
    private static Insn compareFlags(Operands o) {
        boolean dbl = o.rnd.nextBoolean();
        boolean signalling = o.rnd.nextBoolean();
        int x = o.xmm();
        Operand rm = o.rnd.nextBoolean() ? new Operand.Xmm(o.xmm()) : o.mem(dbl ? 8 : 4);
        return Forms.sse((signalling ? "comis" : "ucomis") + (dbl ? "d" : "s") + " xmm" + x + ", " + SseIntFamily.name(rm),
                dbl ? 0x66 : 0, false, op(0x0f, signalling ? 0x2f : 0x2e), x, rm, new byte[0], ALL);
    }

    /** Between float widths and from/to packed int32: {prefix, opcode, memory bytes}. */
    private static final int[][] CONVERSIONS = {
        {0xf2, 0x5a, 8}, {0xf3, 0x5a, 4}, {0, 0x5a, 8}, {0x66, 0x5a, 16}, {0, 0x5b, 16}, {0x66, 0x5b, 16},
        {0xf3, 0x5b, 16}, {0xf3, 0xe6, 8}, {0xf2, 0xe6, 16}, {0x66, 0xe6, 16},
    };
    private static final String[] CONVERSION_NAMES = {"cvtsd2ss", "cvtss2sd", "cvtps2pd", "cvtpd2ps", "cvtdq2ps",
        "cvtps2dq", "cvttps2dq", "cvtdq2pd", "cvtpd2dq", "cvttpd2dq"};

    private static Insn convert(Operands o) {
        int k = o.rnd.nextInt(CONVERSIONS.length);
        int[] c = CONVERSIONS[k];
        int x = o.xmm();
        Operand rm = o.rnd.nextInt(3) != 0 ? new Operand.Xmm(o.xmm())
                : c[2] == 16 && o.rnd.nextInt(12) != 0 ? o.alignedMem(16) : o.mem(c[2]);
        return Forms.sse(CONVERSION_NAMES[k] + " xmm" + x + ", " + SseIntFamily.name(rm), c[0], false, op(0x0f, c[1]), x,
                rm, new byte[0], 0);
    }

    /** cvtsi2sd/ss (F2/F3 0F 2A), cvt[t]sd2si / cvt[t]ss2si (F2/F3 0F 2D/2C), 32 or 64-bit integers. */
    private static Insn toFromGpr(Operands o) {
        boolean dbl = o.rnd.nextBoolean();
        boolean wide = o.rnd.nextBoolean();
        int size = wide ? 64 : 32;
        int prefix = dbl ? 0xf2 : 0xf3;
        String t = dbl ? "sd" : "ss";
        if (o.rnd.nextInt(3) == 0) {
            int x = o.xmm();
            Operand rm = o.srcRm(size);
            if (rm instanceof Operand.Reg r && r.high()) rm = Operand.Reg.of(r.num());
            return Forms.sse("cvtsi2" + t + " xmm" + x + ", " + Operands.name(rm, size), prefix, wide, op(0x0f, 0x2a), x, rm,
                    new byte[0], 0);
        }
        boolean truncate = o.rnd.nextBoolean();
        int g = o.dst();
        Operand rm = o.rnd.nextBoolean() ? new Operand.Xmm(o.xmm()) : o.mem(dbl ? 8 : 4);
        return Forms.sse("cvt" + (truncate ? "t" : "") + t + "2si " + Operands.regName(Operand.Reg.of(g), size) + ", "
                + SseIntFamily.name(rm), prefix, wide, op(0x0f, truncate ? 0x2c : 0x2d), g, rm, new byte[0], 0);
    }

    /** movss/movsd (F3/F2 0F 10/11), movaps/movapd (0F 28/29), movups/movupd (0F 10/11), movmskps/pd. */
    private static Insn move(Operands o) {
        int x = o.xmm();
        boolean store = o.rnd.nextBoolean();
        switch (o.rnd.nextInt(4)) {
            case 0 -> {
                boolean dbl = o.rnd.nextBoolean();
                Operand rm = o.rnd.nextBoolean() ? new Operand.Xmm(o.xmm()) : o.mem(dbl ? 8 : 4);
                String n = dbl ? "movsd" : "movss";
                return Forms.sse(store ? n + " " + SseIntFamily.name(rm) + ", xmm" + x : n + " xmm" + x + ", " + SseIntFamily.name(rm),
                        dbl ? 0xf2 : 0xf3, false, op(0x0f, store ? 0x11 : 0x10), x, rm, new byte[0], 0);
            }
            case 1, 2 -> {
                boolean aligned = o.rnd.nextBoolean();
                int t = o.rnd.nextInt(2);
                Operand rm = o.rnd.nextInt(3) == 0 ? new Operand.Xmm(o.xmm())
                        : aligned && o.rnd.nextInt(10) != 0 ? o.alignedMem(16) : o.mem(16);
                String n = (aligned ? "mova" : "movu") + SUFFIX[t];
                int opcode = aligned ? (store ? 0x29 : 0x28) : (store ? 0x11 : 0x10);
                return Forms.sse(store ? n + " " + SseIntFamily.name(rm) + ", xmm" + x : n + " xmm" + x + ", " + SseIntFamily.name(rm),
                        PREFIX[t], false, op(0x0f, opcode), x, rm, new byte[0], 0);
            }
            default -> {
                boolean dbl = o.rnd.nextBoolean();
                int g = o.dst();
                return Forms.sse("movmskp" + (dbl ? "d " : "s ") + Operands.regName(Operand.Reg.of(g), 32) + ", xmm" + x,
                        dbl ? 0x66 : 0, false, op(0x0f, 0x50), g, new Operand.Xmm(x), new byte[0], 0);
            }
        }
    }

    /**
     * STMXCSR m32 (0F AE /3), and LDMXCSR m32 (0F AE /2) of a value stored just before: a valid one, or
     * now and then one with a reserved bit set (#GP).
     */
    private static Insn mxcsrAccess(Operands o) {
        Operand.Mem m = new Operand.Mem(o.base, -1, 1, 0x300 + 4 * o.rnd.nextInt(16), true);
        if (o.rnd.nextBoolean()) {
            return Forms.modrm("stmxcsr " + Operands.memName(m, 32), 32, Forms.NONE, null, op(0x0f, 0xae), 3, false, m,
                    new byte[0], 0, 0, 0);
        }
        // Bit 17 is left alone: AMD hosts accept it (MM, misaligned-SSE mask), Intel and the model do not.
        int reserved = 1 << (16 + o.rnd.nextInt(16));
        int value = o.rnd.nextInt(16) == 0 && reserved != 1 << 17 ? FloatValues.mxcsr(o.rnd) | reserved
                : FloatValues.mxcsr(o.rnd);
        byte[] store = X86.encode(Forms.NONE, false, false, op(0xc7), 0, false, m, X86.le(value, 4), 0);
        Insn ld = Forms.modrm("ldmxcsr " + Operands.memName(m, 32), 32, Forms.NONE, null, op(0x0f, 0xae), 2, false, m,
                new byte[0], 0, 0, 0);
        return Forms.withSetup("mov " + Operands.memName(m, 32) + ", 0x" + Integer.toHexString(value), store, ld);
    }

    /**
     * Moves of one 64-bit half: movlps/movhps (0F 12/16 load, 13/17 store), movlpd/movhpd (66), and the
     * register forms movhlps (0F 12) and movlhps (0F 16).
     */
    private static Insn halves(Operands o) {
        int x = o.xmm();
        boolean high = o.rnd.nextBoolean();
        boolean dbl = o.rnd.nextBoolean();
        int prefix = dbl ? 0x66 : 0;
        String n = "mov" + (high ? "h" : "l") + (dbl ? "pd" : "ps");
        switch (o.rnd.nextInt(3)) {
            case 0 -> {
                Operand.Mem m = o.mem(8);
                return Forms.sse(n + " xmm" + x + ", " + Operands.memName(m, 64), prefix, false, op(0x0f, high ? 0x16 : 0x12), x,
                        m, new byte[0], 0);
            }
            case 1 -> {
                Operand.Mem m = o.mem(8);
                return Forms.sse(n + " " + Operands.memName(m, 64) + ", xmm" + x, prefix, false, op(0x0f, high ? 0x17 : 0x13), x,
                        m, new byte[0], 0);
            }
            default -> {
                int y = o.xmm();
                return Forms.sse((high ? "movlhps" : "movhlps") + " xmm" + x + ", xmm" + y, 0, false,
                        op(0x0f, high ? 0x16 : 0x12), x, new Operand.Xmm(y), new byte[0], 0);
            }
        }
    }

    /** shufps (0F C6 ib), shufpd (66 0F C6 ib). */
    private static Insn shuffle(Operands o) {
        int t = o.rnd.nextInt(2);
        int x = o.xmm();
        Operand rm = source(o, t);
        int imm = o.rnd.nextInt(256);
        return Forms.sse("shuf" + SUFFIX[t] + " xmm" + x + ", " + SseIntFamily.name(rm) + ", " + imm, PREFIX[t], false,
                op(0x0f, 0xc6), x, rm, Forms.imm(imm, 1), 0);
    }
}
