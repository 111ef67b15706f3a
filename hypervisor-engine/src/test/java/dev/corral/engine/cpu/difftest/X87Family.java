package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.op;

import dev.corral.engine.cpu.state.CpuState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * x87 basics, judged through what leaves the FPU (the x87 registers are not part of CpuState): loads
 * (m32/m64/m80 floats, m16/m32/m64 integers, constants), arithmetic (register and memory forms),
 * FCHS/FABS/FSQRT/FRNDINT/FXCH, FCOMI/FUCOMI (to RFLAGS), stores (floats, integers), FLDCW with random
 * precision and rounding control (exceptions stay masked); the case ends by storing every register
 * still on the stack as m80 and the status word into AX. Both CPUs start from the FNINIT state. The
 * stack depth is tracked so no case overflows or underflows it. Transcendentals are left out: their
 * last bits are implementation specific.
 */
final class X87Family implements CaseGenerator {

    @Override
    public String family() {
        return "x87";
    }

    @Override
    public boolean shrinkable() {
        return false;
    }

    @Override
    public Draft next(Random rnd) {
        Operands o = new Operands(rnd, 1 << CpuState.RAX);
        for (int i = 0; i < 160; i++) {
            int at = rnd.nextInt(GuestLayout.PAGE / 8) * 8;
            System.arraycopy(X86.le(FloatValues.lane(rnd), 8), 0, o.data, at, 8);
        }
        List<Insn> insns = new ArrayList<>();
        // C0 C2 C3 are defined only by FTST here (FCOMI leaves them alone); C1 by all but FLDCW.
        boolean conditionDefined = false;
        boolean c1Defined = true;
        int depth = 0;
        int length = 1 + rnd.nextInt(10);
        while (insns.size() < length) {
            int pick = rnd.nextInt(10);
            boolean keepsCondition = pick == 6;
            int before = insns.size();
            if (depth == 0 || (pick < 3 && depth < 8)) {
                insns.add(load(o, depth));
                depth++;
            } else if (pick < 5) {
                boolean pop = rnd.nextInt(3) == 0 && depth >= 2;
                insns.add(pop ? arithPop(o, depth) : arith(o, depth));
                if (pop) depth--;
            } else if (pick == 5) {
                insns.add(rnd.nextBoolean() ? unary(o, depth) : conditional(o, depth));
            } else if (pick == 6) {
                insns.add(compare(o, depth));
                if (insns.getLast().text().contains("p ")) depth--;
            } else if (pick == 7) {
                insns.add(store(o));
                if (insns.getLast().text().contains("p ")) depth--;
            } else if (pick == 8) {
                insns.add(loadControlWord(o));
            } else {
                insns.add(memArith(o));
            }
            if (insns.size() > before) {
                String text = insns.getLast().text();
                conditionDefined = text.equals("ftst") || text.equals("fxam") || text.equals("fprem")
                        || (keepsCondition && conditionDefined);
                c1Defined = !text.contains("fldcw");
            }
        }
        if (depth > 0) conditionDefined = false; // the closing stores leave them undefined
        if (depth > 0) c1Defined = true;
        for (int i = 0; i < depth; i++) {
            Operand.Mem m = new Operand.Mem(o.base, -1, 1, -0x400 + 16 * i, true);
            insns.add(Forms.modrm("fstp tword " + Operands.memName(m, 0), 32, Forms.NONE, null, op(0xdb), 7, false, m,
                    new byte[0], 0, 0, 0));
        }
        insns.add(Insn.of("fnstsw ax", 0, 0, 0, new byte[] {(byte) 0xdf, (byte) 0xe0}));
        long undefinedStatus = (conditionDefined ? 0 : 0x4500) | (c1Defined ? 0 : 0x200);
        return new Draft(family(), insns, o, undefinedStatus);
    }

    private static Insn mem(String name, int opcode, int ext, Operand.Mem m, long defined) {
        return Forms.modrm(name + " " + Operands.memName(m, 0), 32, Forms.NONE, null, op(opcode), ext, false, m,
                new byte[0], defined, 0, 0);
    }

    private static Insn bytes(String name, int... b) {
        byte[] code = new byte[b.length];
        for (int i = 0; i < b.length; i++) code[i] = (byte) b[i];
        return Insn.of(name, 0, 0, 0, code);
    }

    private static Insn load(Operands o, int depth) {
        return switch (o.rnd.nextInt(9)) {
            case 0 -> mem("fld dword", 0xd9, 0, o.mem(4), 0);
            case 1 -> mem("fld qword", 0xdd, 0, o.mem(8), 0);
            case 2 -> mem("fld tword", 0xdb, 5, o.mem(10), 0);
            case 3 -> mem("fild word", 0xdf, 0, o.mem(2), 0);
            case 4 -> mem("fild dword", 0xdb, 0, o.mem(4), 0);
            case 5 -> mem("fild qword", 0xdf, 5, o.mem(8), 0);
            case 6 -> bytes("fld1", 0xd9, 0xe8);
            case 7 -> depth > 0 ? bytes("fld st" + (depth - 1), 0xd9, 0xc0 + o.rnd.nextInt(depth)) : bytes("fldz", 0xd9, 0xee);
            default -> bytes("fldpi", 0xd9, 0xeb);
        };
    }

    private static final String[] ARITH = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"};

    /** D8 /k st0, st(i) (k = 0 1 4 5 6 7), or DC /k st(i), st0. */
    private static Insn arith(Operands o, int depth) {
        int[] ks = {0, 1, 4, 5, 6, 7};
        int k = ks[o.rnd.nextInt(ks.length)];
        int i = o.rnd.nextInt(depth);
        boolean toSti = o.rnd.nextBoolean();
        return bytes(toSti ? ARITH_TO_STI[k] + " st" + i + ", st0" : ARITH[k] + " st0, st" + i, toSti ? 0xdc : 0xd8,
                0xc0 + 8 * k + i);
    }

    /** In the DC and DE register forms /4../7 are FSUBR FSUB FDIVR FDIV (the operands are swapped). */
    private static final String[] ARITH_TO_STI = {"fadd", "fmul", "fcom", "fcomp", "fsubr", "fsub", "fdivr", "fdiv"};

    /** DE /k st(i), st0 then pop. */
    private static Insn arithPop(Operands o, int depth) {
        int[] ks = {0, 1, 4, 5, 6, 7};
        int k = ks[o.rnd.nextInt(ks.length)];
        int i = 1 + o.rnd.nextInt(depth - 1);
        return bytes(ARITH_TO_STI[k] + "p st" + i + ", st0", 0xde, 0xc0 + 8 * k + i);
    }

    /** D8 /k m32fp, DC /k m64fp, DA /k m32int, DE /k m16int (no compares: they would pop unseen). */
    private static Insn memArith(Operands o) {
        int[] ks = {0, 1, 4, 5, 6, 7};
        int k = ks[o.rnd.nextInt(ks.length)];
        return switch (o.rnd.nextInt(4)) {
            case 0 -> mem(ARITH[k] + " dword", 0xd8, k, o.mem(4), 0);
            case 1 -> mem(ARITH[k] + " qword", 0xdc, k, o.mem(8), 0);
            case 2 -> mem("fi" + ARITH[k].substring(1) + " dword", 0xda, k, o.mem(4), 0);
            default -> mem("fi" + ARITH[k].substring(1) + " word", 0xde, k, o.mem(2), 0);
        };
    }

    /** FCMOVcc st0, st(i) (DA/DB C0..DF: B E BE U and their negations, reading CF ZF PF). */
    private static final long[] FCMOV_READS = {Forms.C, Forms.Z, Forms.C | Forms.Z, Forms.P};
    private static final String[] FCMOV_NAMES = {"b", "e", "be", "u"};

    /**
     * FCMOVcc (C1 only), FXAM (C0-C3 from the class of st0, defined even for an empty register) and,
     * with two registers, FPREM (C0 C1 C3 quotient bits, C2 incomplete) and FSCALE.
     */
    private static Insn conditional(Operands o, int depth) {
        int pick = o.rnd.nextInt(depth >= 2 ? 4 : 2);
        return switch (pick) {
            case 0 -> {
                int cc = o.rnd.nextInt(4);
                boolean negated = o.rnd.nextBoolean();
                int i = o.rnd.nextInt(depth);
                yield Insn.of("fcmov" + (negated ? "n" : "") + FCMOV_NAMES[cc] + " st0, st" + i, 0, 0, FCMOV_READS[cc],
                        new byte[] {(byte) (negated ? 0xdb : 0xda), (byte) (0xc0 + 8 * cc + i)});
            }
            case 1 -> bytes("fxam", 0xd9, 0xe5);
            case 2 -> bytes("fprem", 0xd9, 0xf8);
            default -> bytes("fscale", 0xd9, 0xfd);
        };
    }

    private static Insn unary(Operands o, int depth) {
        return switch (o.rnd.nextInt(6)) {
            case 0 -> bytes("fchs", 0xd9, 0xe0);
            case 1 -> bytes("fabs", 0xd9, 0xe1);
            case 2 -> bytes("fsqrt", 0xd9, 0xfa);
            case 3 -> bytes("frndint", 0xd9, 0xfc);
            case 4 -> {
                int i = o.rnd.nextInt(depth);
                yield bytes("fxch st" + i, 0xd9, 0xc8 + i);
            }
            default -> bytes("ftst", 0xd9, 0xe4);
        };
    }

    /** FCOMI/FUCOMI (DB F0+i / E8+i) and the popping FCOMIP/FUCOMIP (DF): ZF PF CF set, OF SF AF cleared. */
    private static Insn compare(Operands o, int depth) {
        int i = o.rnd.nextInt(depth);
        boolean pop = depth >= 2 && o.rnd.nextBoolean();
        boolean unordered = o.rnd.nextBoolean();
        String name = (unordered ? "fucomi" : "fcomi") + (pop ? "p " : " ") + "st0, st" + i;
        return Insn.of(name, ALL, 0, 0, new byte[] {(byte) (pop ? 0xdf : 0xdb), (byte) ((unordered ? 0xe8 : 0xf0) + i)});
    }

    private static Insn store(Operands o) {
        return switch (o.rnd.nextInt(10)) {
            case 0 -> mem("fst dword", 0xd9, 2, o.mem(4), 0);
            case 1 -> mem("fst qword", 0xdd, 2, o.mem(8), 0);
            case 2 -> mem("fstp dword", 0xd9, 3, o.mem(4), 0);
            case 3 -> mem("fstp qword", 0xdd, 3, o.mem(8), 0);
            case 4 -> mem("fstp tword", 0xdb, 7, o.mem(10), 0);
            case 5 -> mem("fist word", 0xdf, 2, o.mem(2), 0);
            case 6 -> mem("fist dword", 0xdb, 2, o.mem(4), 0);
            case 7 -> mem("fistp word", 0xdf, 3, o.mem(2), 0);
            case 8 -> mem("fistp dword", 0xdb, 3, o.mem(4), 0);
            default -> mem("fistp qword", 0xdf, 7, o.mem(8), 0);
        };
    }

    /** mov word [m], cw ; fldcw [m] with all exceptions masked, random precision and rounding control. */
    private static Insn loadControlWord(Operands o) {
        int[] precision = {0, 2, 3};
        int cw = 0x3f | 0x40 | (precision[o.rnd.nextInt(3)] << 8) | (o.rnd.nextInt(4) << 10);
        Operand.Mem m = new Operand.Mem(o.base, -1, 1, -0x500 + 2 * o.rnd.nextInt(16), true);
        byte[] store = X86.encode(op(0x66), false, false, op(0xc7), 0, false, m, X86.le(cw, 2), 0);
        Insn fldcw = mem("fldcw", 0xd9, 5, m, 0);
        return Forms.withSetup("mov word " + Operands.memName(m, 0) + ", 0x" + Integer.toHexString(cw), store, fldcw);
    }
}
