package dev.corral.engine.cpu.difftest;

import java.io.ByteArrayOutputStream;

/** Builders for the instruction shapes the generators use, with the flag sets each leaves. */
final class Forms {

    static final long C = 1, P = 4, A = 0x10, Z = 0x40, S = 0x80, O = 0x800;
    static final long ALL = C | P | A | Z | S | O;
    static final int[] NONE = {};

    private Forms() {}

    /** Prefixes for an operand size: 0x66 for 16 bits, plus any extra (LOCK, REP) first. */
    static int[] sizePrefix(int size, int... extra) {
        int[] p = new int[extra.length + (size == 16 ? 1 : 0)];
        System.arraycopy(extra, 0, p, 0, extra.length);
        if (size == 16) p[extra.length] = 0x66;
        return p;
    }

    /**
     * An integer instruction with a ModRM byte; {@code op8} is used for 8-bit operands and {@code op} for
     * 16/32/64. Checks that it can be encoded now, so generators can retry another choice.
     */
    static Insn modrm(String text, int size, int[] prefixes, int[] op8, int[] op, int reg, boolean regHigh, Operand rm,
            byte[] imm, long defined, long undefined, long reads) {
        int[] pre = sizePrefix(size, prefixes);
        int[] opcode = size == 8 ? op8 : op;
        Insn.Encoding enc = a -> X86.encode(pre, size == 64, size == 8, opcode, reg, regHigh, rm, imm, a);
        enc.at(GuestLayout.CODE);
        return Insn.of(text, defined, undefined, reads, enc);
    }

    /** Like {@link #modrm} with the reg field a register operand. */
    static Insn rmReg(String text, int size, int[] prefixes, int[] op8, int[] op, Operand.Reg reg, Operand rm, byte[] imm,
            long defined, long undefined, long reads) {
        return modrm(text, size, prefixes, op8, op, reg.num(), reg.high(), rm, imm, defined, undefined, reads);
    }

    /** An SSE instruction: mandatory prefix (or 0), 0F-map opcode, xmm or general reg field, r/m. */
    static Insn sse(String text, int mandatory, boolean rexW, int[] opcode, int reg, Operand rm, byte[] imm, long defined) {
        int[] pre = mandatory == 0 ? NONE : new int[] {mandatory};
        Insn.Encoding enc = a -> X86.encode(pre, rexW, false, opcode, reg, false, rm, imm, a);
        enc.at(GuestLayout.CODE);
        return Insn.of(text, defined, 0, 0, enc);
    }

    /** {@code mov r32/r64, imm}: B8+r with a 4- or 8-byte immediate. */
    static byte[] movImm(int reg, long value, boolean wide) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (wide || reg >= 8) b.write(0x40 | (wide ? 8 : 0) | (reg >= 8 ? 1 : 0));
        b.write(0xb8 + (reg & 7));
        b.writeBytes(X86.le(value, wide ? 8 : 4));
        return b.toByteArray();
    }

    /** Several encodings laid out back to back as one unit (a setup move and the instruction it feeds). */
    static Insn.Encoding concat(byte[] first, Insn.Encoding then) {
        return a -> {
            byte[] second = then.at(a + first.length);
            byte[] all = new byte[first.length + second.length];
            System.arraycopy(first, 0, all, 0, first.length);
            System.arraycopy(second, 0, all, first.length, second.length);
            return all;
        };
    }

    /** {@code first} then {@code insn} as one unit: shrinking never separates them. */
    static Insn withSetup(String setupText, byte[] setup, Insn insn) {
        return new Insn(setupText + " ; " + insn.text(), insn.defined(), insn.undefined(), insn.reads(),
                insn.undefinedGprs(), 0, concat(setup, insn.encoding()));
    }

    static byte[] imm(long value, int bytes) {
        return X86.le(value, bytes);
    }

    static int[] op(int... bytes) {
        return bytes;
    }

    static String hexImm(long v) {
        return v < 0 ? "-0x" + Long.toHexString(-v) : "0x" + Long.toHexString(v);
    }
}
