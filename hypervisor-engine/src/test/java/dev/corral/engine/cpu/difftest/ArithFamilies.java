package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.List;

/** add/adc/sub/sbb/cmp/neg/inc/dec, and and/or/xor/not/test. */
final class ArithFamilies {

    private ArithFamilies() {}

    static CaseGenerator arithmetic() {
        return new SequenceGenerator("arith", 0, 8, o -> {}, List.of(
                o -> IntegerForms.alu(o, 0),
                o -> IntegerForms.alu(o, 2),
                o -> IntegerForms.alu(o, 3),
                o -> IntegerForms.alu(o, 5),
                o -> IntegerForms.alu(o, 7),
                o -> IntegerForms.unary(o, "neg", op(0xf6), op(0xf7), 3, Forms.ALL, 0),
                // INC and DEC leave CF alone.
                o -> IntegerForms.unary(o, "inc", op(0xfe), op(0xff), 0, Forms.ALL & ~Forms.C, 0),
                o -> IntegerForms.unary(o, "dec", op(0xfe), op(0xff), 1, Forms.ALL & ~Forms.C, 0)));
    }

    static CaseGenerator logic() {
        return new SequenceGenerator("logic", 0, 8, o -> {}, List.of(
                o -> IntegerForms.alu(o, 1),
                o -> IntegerForms.alu(o, 4),
                o -> IntegerForms.alu(o, 6),
                o -> IntegerForms.unary(o, "not", op(0xf6), op(0xf7), 2, 0, 0),
                ArithFamilies::test));
    }

    /** TEST r/m, r (84/85), TEST r/m, imm (F6/F7 /0), TEST acc, imm (A8/A9). */
    private static Insn test(Operands o) {
        int size = IntegerForms.size(o);
        long def = Forms.ALL & ~Forms.A, undef = Forms.A;
        Operand rm = o.srcRm(size);
        switch (o.rnd.nextInt(3)) {
            case 0 -> {
                Operand.Reg r = o.srcReg(size);
                return Forms.rmReg("test " + Operands.name(rm, size) + ", " + Operands.name(r, size), size, Forms.NONE,
                        op(0x84), op(0x85), r, rm, new byte[0], def, undef, 0);
            }
            case 1 -> {
                int ib = IntegerForms.immBytes(size);
                long imm = Values.imm(o.rnd, ib);
                return Forms.modrm("test " + Operands.name(rm, size) + ", " + Forms.hexImm(imm), size, Forms.NONE,
                        op(0xf6), op(0xf7), 0, false, rm, Forms.imm(imm, ib), def, undef, 0);
            }
            default -> {
                int ib = IntegerForms.immBytes(size);
                long imm = Values.imm(o.rnd, ib);
                return Forms.modrm("test " + Operands.regName(Operand.Reg.of(0), size) + ", " + Forms.hexImm(imm), size,
                        Forms.NONE, op(0xa8), op(0xa9), 0, false, null, Forms.imm(imm, ib), def, undef, 0);
            }
        }
    }
}
