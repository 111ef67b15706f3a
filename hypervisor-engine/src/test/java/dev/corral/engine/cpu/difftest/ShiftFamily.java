package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.A;
import static dev.corral.engine.cpu.difftest.Forms.C;
import static dev.corral.engine.cpu.difftest.Forms.O;
import static dev.corral.engine.cpu.difftest.Forms.P;
import static dev.corral.engine.cpu.difftest.Forms.S;
import static dev.corral.engine.cpu.difftest.Forms.Z;
import static dev.corral.engine.cpu.difftest.Forms.op;

import dev.corral.engine.cpu.state.CpuState;
import java.util.List;

/**
 * Shifts and rotates by 1, by an immediate and by CL (CL set just before, 0..70, so the flags the SDM
 * defines for that count are known), and SHLD/SHRD. Per the SDM: a masked count of 0 changes no flag;
 * OF is defined only for a count of 1; AF is undefined after any shift; SHL/SHR leave CF undefined when
 * the count reaches the operand width; ROL/ROR touch only CF and OF; RCL/RCR read CF.
 */
final class ShiftFamily {

    private static final String[] NAMES = {"rol", "ror", "rcl", "rcr", "shl", "shr", null, "sar"};

    private ShiftFamily() {}

    static CaseGenerator generator() {
        return new SequenceGenerator("shift", 1 << CpuState.RCX, 6, o -> {}, List.of(
                ShiftFamily::shift, ShiftFamily::shift, ShiftFamily::shift, ShiftFamily::doubleShift));
    }

    private static int count(Operands o) {
        return switch (o.rnd.nextInt(4)) {
            case 0 -> 1;
            case 1 -> o.rnd.nextInt(8);
            default -> o.rnd.nextInt(71);
        };
    }

    private static Insn shift(Operands o) {
        int ext;
        do ext = o.rnd.nextInt(8); while (ext == 6);
        int size = IntegerForms.size(o);
        Operand rm = o.dstRm(size);
        int form = o.rnd.nextInt(3);
        int count = form == 0 ? 1 : count(o);
        int masked = count & (size == 64 ? 63 : 31);
        long def, undef;
        if (masked == 0) {
            def = 0;
            undef = 0;
        } else if (ext < 4) {
            def = C | (masked == 1 ? O : 0);
            undef = masked == 1 ? 0 : O;
        } else {
            boolean cfUndefined = ext != 7 && masked >= size;
            def = (cfUndefined ? 0 : C) | P | Z | S | (masked == 1 ? O : 0);
            undef = A | (cfUndefined ? C : 0) | (masked == 1 ? 0 : O);
        }
        long reads = ext == 2 || ext == 3 ? C : 0;
        String target = NAMES[ext] + " " + Operands.name(rm, size);
        return switch (form) {
            case 0 -> Forms.modrm(target + ", 1", size, Forms.NONE, op(0xd0), op(0xd1), ext, false, rm, new byte[0],
                    def, undef, reads);
            case 1 -> Forms.modrm(target + ", " + count, size, Forms.NONE, op(0xc0), op(0xc1), ext, false, rm,
                    Forms.imm(count, 1), def, undef, reads);
            default -> Forms.withSetup("mov ecx, " + count, Forms.movImm(CpuState.RCX, count, false),
                    Forms.modrm(target + ", cl", size, Forms.NONE, op(0xd2), op(0xd3), ext, false, rm, new byte[0],
                            def, undef, reads));
        };
    }

    /** SHLD/SHRD r/m, r, imm8 or CL. A 16-bit count above 16 leaves the result undefined: not generated. */
    private static Insn doubleShift(Operands o) {
        int size = 16 << o.rnd.nextInt(3);
        boolean left = o.rnd.nextBoolean();
        Operand rm = o.dstRm(size);
        Operand.Reg r = Operand.Reg.of(o.src());
        int count = count(o);
        if (size == 16) count = o.rnd.nextInt(17);
        int masked = count & (size == 64 ? 63 : 31);
        long def = masked == 0 ? 0 : C | P | Z | S | (masked == 1 ? O : 0);
        long undef = masked == 0 ? 0 : A | (masked == 1 ? 0 : O);
        String name = (left ? "shld " : "shrd ") + Operands.name(rm, size) + ", " + Operands.regName(r, size);
        if (o.rnd.nextBoolean()) {
            return Forms.rmReg(name + ", " + count, size, Forms.NONE, null, op(0x0f, left ? 0xa4 : 0xac), r, rm,
                    Forms.imm(count, 1), def, undef, 0);
        }
        return Forms.withSetup("mov ecx, " + count, Forms.movImm(CpuState.RCX, count, false),
                Forms.rmReg(name + ", cl", size, Forms.NONE, null, op(0x0f, left ? 0xa5 : 0xad), r, rm, new byte[0],
                        def, undef, 0));
    }
}
