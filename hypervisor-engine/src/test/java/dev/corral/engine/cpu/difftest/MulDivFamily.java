package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.A;
import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.C;
import static dev.corral.engine.cpu.difftest.Forms.O;
import static dev.corral.engine.cpu.difftest.Forms.P;
import static dev.corral.engine.cpu.difftest.Forms.S;
import static dev.corral.engine.cpu.difftest.Forms.Z;
import static dev.corral.engine.cpu.difftest.Forms.op;

import dev.corral.engine.cpu.state.CpuState;
import java.util.List;

/**
 * MUL/IMUL in all forms (CF and OF defined, SF ZF AF PF undefined) and DIV/IDIV (all flags undefined;
 * #DE on a zero divisor or a quotient that does not fit). A divide is often preceded by clearing or
 * sign-extending RDX so that it also completes.
 */
final class MulDivFamily {

    private MulDivFamily() {}

    static CaseGenerator generator() {
        return new SequenceGenerator("muldiv", (1 << CpuState.RAX) | (1 << CpuState.RDX), 6, o -> {}, List.of(
                o -> IntegerForms.unary(o, "mul", op(0xf6), op(0xf7), 4, C | O, S | Z | A | P),
                o -> IntegerForms.unary(o, "imul", op(0xf6), op(0xf7), 5, C | O, S | Z | A | P),
                MulDivFamily::imul2, MulDivFamily::imul3, MulDivFamily::divide, MulDivFamily::divide));
    }

    private static Insn imul2(Operands o) {
        int size = 16 << o.rnd.nextInt(3);
        Operand.Reg r = Operand.Reg.of(o.dst());
        Operand rm = o.srcRm(size);
        return Forms.rmReg("imul " + Operands.regName(r, size) + ", " + Operands.name(rm, size), size, Forms.NONE, null,
                op(0x0f, 0xaf), r, rm, new byte[0], C | O, S | Z | A | P, 0);
    }

    private static Insn imul3(Operands o) {
        int size = 16 << o.rnd.nextInt(3);
        Operand.Reg r = Operand.Reg.of(o.dst());
        Operand rm = o.srcRm(size);
        boolean short8 = o.rnd.nextBoolean();
        int ib = short8 ? 1 : IntegerForms.immBytes(size);
        long imm = Values.imm(o.rnd, ib);
        return Forms.rmReg("imul " + Operands.regName(r, size) + ", " + Operands.name(rm, size) + ", " + Forms.hexImm(imm),
                size, Forms.NONE, null, op(short8 ? 0x6b : 0x69), r, rm, Forms.imm(imm, ib), C | O, S | Z | A | P, 0);
    }

    private static Insn divide(Operands o) {
        boolean signed = o.rnd.nextBoolean();
        int size = IntegerForms.size(o);
        Operand rm = o.srcRm(size);
        Insn div = Forms.modrm((signed ? "idiv " : "div ") + Operands.name(rm, size), size, Forms.NONE, op(0xf6),
                op(0xf7), signed ? 7 : 6, false, rm, new byte[0], 0, ALL, 0);
        if (size == 8 || o.rnd.nextInt(3) == 0) return div;
        // xor edx, edx (unsigned) or cwd/cdq/cqo (signed) so the quotient usually fits.
        byte[] prep = signed
                ? (size == 16 ? new byte[] {0x66, (byte) 0x99} : size == 64 ? new byte[] {0x48, (byte) 0x99} : new byte[] {(byte) 0x99})
                : new byte[] {0x31, (byte) 0xd2};
        String prepText = signed ? (size == 16 ? "cwd" : size == 64 ? "cqo" : "cdq") : "xor edx, edx";
        Insn withPrep = Forms.withSetup(prepText, prep, div);
        // xor also writes flags, but the divide leaves them all undefined anyway.
        return withPrep;
    }
}
