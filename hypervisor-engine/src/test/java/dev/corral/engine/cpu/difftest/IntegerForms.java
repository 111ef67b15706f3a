package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.op;

/** Shared shapes of the integer families: the eight group-1 ALU operations and the unary group 3/5 ones. */
final class IntegerForms {

    static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    private static final int[] SIZES = {8, 16, 32, 64};

    private IntegerForms() {}

    static int size(Operands o) {
        return SIZES[o.rnd.nextInt(4)];
    }

    static int immBytes(int size) {
        return size == 8 ? 1 : size == 16 ? 2 : 4;
    }

    /** Flags of a group-1 operation per the SDM: logic ops clear CF/OF and leave AF undefined. */
    static long defined(int k) {
        return k == 1 || k == 4 || k == 6 ? Forms.ALL & ~Forms.A : Forms.ALL;
    }

    static long undefined(int k) {
        return k == 1 || k == 4 || k == 6 ? Forms.A : 0;
    }

    static int[] lockIf(Operands o, Operand rm, boolean writes) {
        return writes && rm instanceof Operand.Mem && o.rnd.nextInt(3) == 0 ? new int[] {0xf0} : Forms.NONE;
    }

    /** One of the four encodings of group-1 operation {@code k} (0 add .. 7 cmp) with random operands. */
    static Insn alu(Operands o, int k) {
        int size = size(o);
        String m = ALU[k];
        boolean writes = k != 7;
        long def = defined(k), undef = undefined(k), reads = k == 2 || k == 3 ? Forms.C : 0;
        switch (o.rnd.nextInt(4)) {
            case 0 -> {
                Operand rm = writes ? o.dstRm(size) : o.srcRm(size);
                Operand.Reg r = o.srcReg(size);
                return Forms.rmReg(m + " " + Operands.name(rm, size) + ", " + Operands.name(r, size), size,
                        lockIf(o, rm, writes), op(8 * k), op(8 * k + 1), r, rm, new byte[0], def, undef, reads);
            }
            case 1 -> {
                Operand.Reg r = writes ? o.dstReg(size) : o.srcReg(size);
                Operand rm = o.srcRm(size);
                return Forms.rmReg(m + " " + Operands.name(r, size) + ", " + Operands.name(rm, size), size,
                        Forms.NONE, op(8 * k + 2), op(8 * k + 3), r, rm, new byte[0], def, undef, reads);
            }
            case 2 -> {
                Operand rm = writes ? o.dstRm(size) : o.srcRm(size);
                boolean short8 = size != 8 && o.rnd.nextBoolean();
                int ib = short8 ? 1 : immBytes(size);
                long imm = Values.imm(o.rnd, ib);
                int[] opcode = short8 ? op(0x83) : op(0x81);
                return Forms.modrm(m + " " + Operands.name(rm, size) + ", " + Forms.hexImm(imm), size,
                        lockIf(o, rm, writes), op(0x80), opcode, k, false, rm, Forms.imm(imm, ib), def, undef, reads);
            }
            default -> {
                if (writes && o.isPinned(0)) return null;
                int ib = immBytes(size);
                long imm = Values.imm(o.rnd, ib);
                String acc = Operands.regName(Operand.Reg.of(0), size);
                return Forms.modrm(m + " " + acc + ", " + Forms.hexImm(imm), size, Forms.NONE, op(8 * k + 4),
                        op(8 * k + 5), 0, false, null, Forms.imm(imm, ib), def, undef, reads);
            }
        }
    }

    /** A one-operand group-3/4/5 operation: F6/F7 /ext or FE/FF /ext on a register or memory. */
    static Insn unary(Operands o, String m, int[] op8, int[] op, int ext, long def, long undef) {
        int size = size(o);
        Operand rm = o.dstRm(size);
        // LOCK is only valid on the read-modify-write ones (INC DEC NOT NEG), not on MUL/DIV (/4../7).
        return Forms.modrm(m + " " + Operands.name(rm, size), size, lockIf(o, rm, ext < 4), op8, op, ext, false, rm,
                new byte[0], def, undef, 0);
    }
}
