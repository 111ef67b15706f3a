package dev.corral.engine.cpu.difftest;

import java.io.ByteArrayOutputStream;

/**
 * Encodes one instruction from its parts (legacy prefixes, REX, opcode, ModRM, SIB, displacement,
 * immediate), as the Intel SDM volume 2 chapter 2 lays them out. Only what the generators need.
 */
final class X86 {

    /** Thrown when the chosen operands cannot be encoded together (AH..BH with a REX prefix). */
    static final class Unencodable extends RuntimeException {
        Unencodable(String why) {
            super(why, null, false, false);
        }
    }

    private X86() {}

    /**
     * @param prefixes legacy prefixes in order (0x66, 0xF2, 0xF3, 0xF0), then REX is added if needed
     * @param rexW operand size 64
     * @param byteOps the register operands are byte registers (SPL..DIL need REX, AH..BH forbid it)
     * @param opcode opcode bytes
     * @param reg the ModRM reg field: a register number or an opcode extension /digit; {@code regHigh}
     *     marks AH..BH
     * @param rm the r/m operand, or null for an instruction without ModRM
     * @param imm immediate bytes, little-endian (may be empty)
     * @param address where the instruction will be (for RIP-relative displacements)
     */
    static byte[] encode(int[] prefixes, boolean rexW, boolean byteOps, int[] opcode, int reg, boolean regHigh,
            Operand rm, byte[] imm, long address) {
        int rex = rexW ? 0x48 : 0;
        boolean forbidRex = regHigh;
        if (reg >= 8) rex |= 0x44;
        if (byteOps && !regHigh && reg >= 4 && reg < 8) rex |= 0x40;
        ByteArrayOutputStream modrm = new ByteArrayOutputStream();
        int mod;
        int rmBits;
        Integer sib = null;
        byte[] disp = new byte[0];
        switch (rm) {
            case null -> {
                mod = -1;
                rmBits = 0;
            }
            case Operand.Reg r -> {
                mod = 3;
                if (r.high()) {
                    forbidRex = true;
                    rmBits = r.num() + 4;
                } else {
                    rmBits = r.num() & 7;
                    if (r.num() >= 8) rex |= 0x41;
                    if (byteOps && r.num() >= 4 && r.num() < 8) rex |= 0x40;
                }
            }
            case Operand.Xmm x -> {
                mod = 3;
                rmBits = x.num() & 7;
                if (x.num() >= 8) rex |= 0x41;
            }
            case Operand.Mem m -> {
                if (m.index() >= 8) rex |= 0x42;
                if (m.base() >= 0 && m.base() < 16 && m.base() >= 8) rex |= 0x41;
                if (m.base() == Operand.Mem.RIP) {
                    mod = 0;
                    rmBits = 5;
                    disp = new byte[4]; // filled once the length is known
                } else if (m.base() < 0) {
                    mod = 0;
                    rmBits = 4;
                    sib = (scaleBits(m.scale()) << 6) | ((m.index() < 0 ? 4 : m.index() & 7) << 3) | 5;
                    disp = le(m.disp(), 4);
                } else {
                    int b = m.base() & 7;
                    if (m.wideDisp() || m.disp() != (byte) m.disp()) {
                        mod = 2;
                        disp = le(m.disp(), 4);
                    } else if (m.disp() != 0 || b == 5) {
                        mod = 1;
                        disp = le(m.disp(), 1);
                    } else {
                        mod = 0;
                    }
                    if (m.index() >= 0 || b == 4) {
                        rmBits = 4;
                        sib = (scaleBits(m.scale()) << 6) | ((m.index() < 0 ? 4 : m.index() & 7) << 3) | b;
                    } else {
                        rmBits = b;
                    }
                }
            }
        }
        if (forbidRex && rex != 0) throw new Unencodable("AH..BH together with a REX prefix");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p : prefixes) out.write(p);
        if (rex != 0) out.write(rex);
        for (int o : opcode) out.write(o);
        if (mod >= 0) {
            out.write((mod << 6) | ((reg & 7) << 3) | rmBits);
            if (sib != null) out.write(sib);
        }
        int dispAt = out.size();
        out.write(disp, 0, disp.length);
        out.write(imm, 0, imm.length);
        byte[] bytes = out.toByteArray();
        if (rm instanceof Operand.Mem m && m.base() == Operand.Mem.RIP) {
            long rel = m.disp() - (address + bytes.length);
            byte[] d = le(rel, 4);
            System.arraycopy(d, 0, bytes, dispAt, 4);
        }
        return bytes;
    }

    /**
     * An instruction whose register is in the low three bits of its last opcode byte (B8+r, 50+r, 90+r,
     * 0F C8+r): REX.B carries bit 3; AH..BH ({@code high}) are 4..7 without REX, SPL..DIL need a plain REX.
     */
    static byte[] encodeOpReg(int[] prefixes, boolean rexW, boolean byteOp, int[] opcode, Operand.Reg reg, byte[] imm) {
        int rex = (rexW ? 0x48 : 0) | (reg.num() >= 8 ? 0x41 : 0);
        if (byteOp && !reg.high() && reg.num() >= 4 && reg.num() < 8) rex |= 0x40;
        if (reg.high() && rex != 0) throw new Unencodable("AH..BH together with a REX prefix");
        int low = reg.high() ? reg.num() + 4 : reg.num() & 7;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p : prefixes) out.write(p);
        if (rex != 0) out.write(rex);
        for (int i = 0; i < opcode.length; i++) out.write(i == opcode.length - 1 ? opcode[i] + low : opcode[i]);
        out.write(imm, 0, imm.length);
        return out.toByteArray();
    }

    static byte[] le(long value, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (value >>> (8 * i));
        return b;
    }

    private static int scaleBits(int scale) {
        return switch (scale) {
            case 1 -> 0;
            case 2 -> 1;
            case 4 -> 2;
            case 8 -> 3;
            default -> throw new IllegalArgumentException("scale " + scale);
        };
    }

    static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) s.append(String.format("%02x", b & 0xff));
        return s.toString();
    }
}
