package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.op;

import dev.corral.engine.cpu.state.CpuState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * PUSH/POP (registers, immediates, memory, 16 and 64 bits, RSP-relative operands), CALL (direct and
 * through a register), RET and RET imm16, ENTER/LEAVE (nesting levels 0..3), PUSHF/POPF. RBP starts
 * inside the data page and is only used as a frame pointer while it still points there.
 */
final class StackFamily implements CaseGenerator {

    private static final long DF = CpuState.DF;

    @Override
    public String family() {
        return "stack";
    }

    @Override
    public Draft next(Random rnd) {
        Operands o = new Operands(rnd, 1 << CpuState.RBP);
        o.pin(CpuState.RBP, GuestLayout.DATA + 0xd00 + 8L * rnd.nextInt(16));
        int length = 1 + rnd.nextInt(8);
        List<Insn> insns = new ArrayList<>();
        boolean rbpValid = true;
        int frames = 0;
        while (insns.size() < length) {
            int pick = rnd.nextInt(12);
            try {
                switch (pick) {
                    case 0, 1 -> insns.add(push(o));
                    case 2, 3 -> insns.add(pop(o));
                    case 4 -> insns.add(call(o));
                    case 5 -> insns.add(ret(o));
                    case 6 -> {
                        if (!rbpValid) continue;
                        insns.add(enter(o));
                        frames++;
                    }
                    case 7 -> {
                        if (!rbpValid) continue;
                        insns.add(Insn.of("leave", 0, 0, 0, new byte[] {(byte) 0xc9}));
                        if (frames > 0) frames--;
                        else rbpValid = false; // RBP now holds whatever the stack held
                    }
                    case 8 -> insns.add(Insn.of("pushf", 0, 0, ALL, new byte[] {(byte) 0x9c}));
                    case 9 -> insns.add(popf(o));
                    default -> {
                        Insn alu = IntegerForms.alu(o, o.rnd.nextInt(8));
                        if (alu != null) insns.add(alu);
                    }
                }
            } catch (X86.Unencodable e) {
                // draw again
            }
        }
        return new Draft(family(), insns, o);
    }

    private static Insn push(Operands o) {
        boolean wide = o.rnd.nextInt(5) != 0;
        int[] pre = wide ? Forms.NONE : op(0x66);
        String w = wide ? "" : " word";
        switch (o.rnd.nextInt(3)) {
            case 0 -> {
                Operand.Reg r = Operand.Reg.of(o.src());
                return Insn.of("push " + Operands.regName(r, wide ? 64 : 16), 0, 0, 0,
                        X86.encodeOpReg(pre, false, false, op(0x50), r, new byte[0]));
            }
            case 1 -> {
                boolean short8 = o.rnd.nextBoolean();
                long imm = Values.imm(o.rnd, short8 ? 1 : wide ? 4 : 2);
                byte[] bytes = X86.encode(pre, false, false, op(short8 ? 0x6a : 0x68), 0, false, null,
                        Forms.imm(imm, short8 ? 1 : wide ? 4 : 2), 0);
                return Insn.of("push" + w + " " + Forms.hexImm(imm), 0, 0, 0, bytes);
            }
            default -> {
                Operand.Mem m = o.rnd.nextBoolean() ? rspRelative(o) : o.mem(8);
                return Forms.modrm("push " + Operands.memName(m, wide ? 64 : 16), 32, pre, null, op(0xff), 6, false, m,
                        new byte[0], 0, 0, 0);
            }
        }
    }

    /** POP to memory computes an RSP-based address after the increment: worth testing. */
    private static Insn pop(Operands o) {
        boolean wide = o.rnd.nextInt(5) != 0;
        int[] pre = wide ? Forms.NONE : op(0x66);
        if (o.rnd.nextBoolean()) {
            Operand.Reg r = Operand.Reg.of(o.dst());
            return Insn.of("pop " + Operands.regName(r, wide ? 64 : 16), 0, 0, 0,
                    X86.encodeOpReg(pre, false, false, op(0x58), r, new byte[0]));
        }
        Operand.Mem m = o.rnd.nextBoolean() ? rspRelative(o) : o.mem(8);
        return Forms.modrm("pop " + Operands.memName(m, wide ? 64 : 16), 32, pre, null, op(0x8f), 0, false, m,
                new byte[0], 0, 0, 0);
    }

    private static Operand.Mem rspRelative(Operands o) {
        return new Operand.Mem(CpuState.RSP, -1, 1, o.rnd.nextInt(48) - 16, false);
    }

    /** CALL rel32 over the next 0..2 instructions, CALL/JMP r64 or m64 to the next instruction. */
    private static Insn call(Operands o) {
        if (o.rnd.nextInt(3) == 0) return indirectThroughMemory(o);
        if (o.rnd.nextInt(4) == 0) return jumpThroughRegister(o);
        if (o.rnd.nextBoolean()) {
            int skip = o.rnd.nextInt(3);
            if (skip == 0) {
                return Insn.of("call +0", 0, 0, 0, new byte[] {(byte) 0xe8, 0, 0, 0, 0});
            }
            return new Insn("call +" + skip, 0, 0, 0, 0, skip, rel -> concat(new byte[] {(byte) 0xe8}, X86.le(rel, 4)));
        }
        Operand.Reg r = Operand.Reg.of(o.dst());
        Insn.Encoding enc = a -> {
            byte[] call = X86.encode(Forms.NONE, false, false, op(0xff), 2, false, r, new byte[0], a);
            long target = a + Forms.movImm(r.num(), 0, false).length + call.length;
            return concat(Forms.movImm(r.num(), target, false), call);
        };
        return Insn.of("mov " + Operands.regName(r, 32) + ", next ; call " + Operands.regName(r, 64), 0, 0, 0, enc);
    }

    /** mov r32, (address after the unit) ; jmp r64 (FF /4). */
    private static Insn jumpThroughRegister(Operands o) {
        Operand.Reg r = Operand.Reg.of(o.dst());
        Insn.Encoding enc = a -> {
            byte[] jmp = X86.encode(Forms.NONE, false, false, op(0xff), 4, false, r, new byte[0], a);
            long target = a + Forms.movImm(r.num(), 0, false).length + jmp.length;
            return concat(Forms.movImm(r.num(), target, false), jmp);
        };
        return Insn.of("mov " + Operands.regName(r, 32) + ", next ; jmp " + Operands.regName(r, 64), 0, 0, 0, enc);
    }

    /** mov qword [m], (address after the unit) ; call/jmp qword [m] (FF /2, FF /4). */
    private static Insn indirectThroughMemory(Operands o) {
        boolean isCall = o.rnd.nextBoolean();
        Operand.Mem m = new Operand.Mem(o.base, -1, 1, o.rnd.nextInt(0x200) - 0x100, o.rnd.nextBoolean());
        Insn.Encoding enc = a -> {
            byte[] branch = X86.encode(Forms.NONE, false, false, op(0xff), isCall ? 2 : 4, false, m, new byte[0], a);
            int storeLength = X86.encode(Forms.NONE, true, false, op(0xc7), 0, false, m, X86.le(0, 4), a).length;
            long target = a + storeLength + branch.length;
            byte[] store = X86.encode(Forms.NONE, true, false, op(0xc7), 0, false, m, X86.le(target, 4), a);
            return concat(store, branch);
        };
        String name = (isCall ? "call" : "jmp") + " qword " + Operands.memName(m, 0);
        return Insn.of("mov qword " + Operands.memName(m, 0) + ", next ; " + name, 0, 0, 0, enc);
    }

    /** push (address after the ret) ; ret [imm16]. */
    private static Insn ret(Operands o) {
        int extra = o.rnd.nextBoolean() ? 0 : 8 * o.rnd.nextInt(4) + (o.rnd.nextInt(4) == 0 ? 2 : 0);
        Insn.Encoding enc = a -> {
            byte[] ret = extra == 0 ? new byte[] {(byte) 0xc3} : concat(new byte[] {(byte) 0xc2}, X86.le(extra, 2));
            long target = a + 5 + ret.length;
            return concat(concat(new byte[] {0x68}, X86.le(target, 4)), ret);
        };
        return Insn.of("push next ; ret" + (extra == 0 ? "" : " " + extra), 0, 0, 0, enc);
    }

    private static Insn enter(Operands o) {
        int size = o.rnd.nextInt(4) == 0 ? 0 : 8 * o.rnd.nextInt(8) + o.rnd.nextInt(2) * 4;
        int level = o.rnd.nextInt(4);
        byte[] bytes = concat(concat(new byte[] {(byte) 0xc8}, X86.le(size, 2)), new byte[] {(byte) level});
        return Insn.of("enter " + size + ", " + level, 0, 0, 0, bytes);
    }

    /** POPF of a value with only status flags and DF, so no trap (TF) or alignment check (AC) turns on. */
    private static Insn popf(Operands o) {
        long value = o.rnd.nextLong() & (GuestLayout.STATUS_FLAGS);
        byte[] bytes = concat(concat(new byte[] {0x68}, X86.le(value, 4)), new byte[] {(byte) 0x9d});
        return Insn.of("push " + Forms.hexImm(value) + " ; popf", ALL | DF, 0, 0, bytes);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
