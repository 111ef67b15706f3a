package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.op;

import dev.corral.engine.cpu.state.CpuState;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Self-modifying code: a store into the code page changes an instruction that runs later, either
 * further on in the same block (after 0..2 fillers, some of them jumps that end the block) or one that
 * already ran and runs again in a two-round loop (a stale decoded block would replay the old bytes).
 * Only the opcode of {@code op eax, imm32} (ADD/OR/AND/SUB/XOR/CMP, all the same length) and its
 * immediate bytes are rewritten, so the changed code is always one of a few harmless instructions.
 */
final class SelfModifyingFamily implements CaseGenerator {

    private static final int[] OPS = {0x05, 0x0d, 0x25, 0x2d, 0x35, 0x3d};

    @Override
    public String family() {
        return "smc";
    }

    @Override
    public Draft next(Random rnd) {
        Operands o = new Operands(rnd, (1 << CpuState.RAX) | (1 << CpuState.RCX));
        o.writableCode = true;
        List<Insn> insns = new ArrayList<>();
        int length = 1 + rnd.nextInt(4);
        while (insns.size() < length) {
            insns.add(switch (rnd.nextInt(3)) {
                case 0 -> patchAhead(o);
                case 1 -> patchInLoop(o);
                default -> Insn.of("op eax, imm32", ALL & ~Forms.A, Forms.A, 0, target(o, OPS[rnd.nextInt(6)]));
            });
        }
        return new Draft(family(), insns, o);
    }

    /** {@code [REX.W] op eax, imm32}. */
    private static byte[] target(Operands o, int opcode) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (o.rnd.nextBoolean()) b.write(0x48);
        b.write(opcode);
        b.writeBytes(X86.le(o.rnd.nextInt(), 4));
        return b.toByteArray();
    }

    /** What to write over the target: a new opcode, new immediate bytes, or both. {offset, size, value} */
    private static long[] patch(Operands o, byte[] target) {
        int opAt = target.length - 5;
        switch (o.rnd.nextInt(3)) {
            case 0 -> {
                return new long[] {opAt, 1, OPS[o.rnd.nextInt(OPS.length)]};
            }
            case 1 -> {
                int size = 1 << o.rnd.nextInt(3);
                int at = opAt + 1 + o.rnd.nextInt(4 - size + 1);
                return new long[] {at, size, o.rnd.nextInt()};
            }
            default -> {
                return new long[] {opAt, 4, OPS[o.rnd.nextInt(OPS.length)] | ((long) o.rnd.nextInt() << 8)};
            }
        }
    }

    /** mov byte/word/dword [rip -> target + offset] (or the absolute address), imm. */
    private static byte[] store(boolean absolute, long address, long[] p, long at) {
        Operand.Mem m = absolute ? new Operand.Mem(-1, -1, 1, address, true)
                : new Operand.Mem(Operand.Mem.RIP, -1, 1, address, true);
        int size = (int) p[1] * 8;
        int[] opcode = size == 8 ? op(0xc6) : op(0xc7);
        return X86.encode(Forms.sizePrefix(size), false, false, opcode, 0, false, m, X86.le(p[2], (int) p[1]), at);
    }

    /** store ; 0..2 fillers (NOP, JMP +0) ; target, the store rewriting the target. */
    private static Insn patchAhead(Operands o) {
        byte[] target = target(o, OPS[o.rnd.nextInt(OPS.length)]);
        long[] p = patch(o, target);
        int fillers = o.rnd.nextInt(3);
        byte[] fill = new byte[fillers * 2];
        for (int i = 0; i < fillers; i++) {
            boolean jump = o.rnd.nextBoolean();
            fill[2 * i] = (byte) (jump ? 0xeb : 0x90);
            fill[2 * i + 1] = (byte) (jump ? 0x00 : 0x90);
        }
        boolean absolute = o.rnd.nextInt(4) == 0;
        int storeLength = store(absolute, GuestLayout.CODE, p, GuestLayout.CODE).length;
        Insn.Encoding enc = a -> {
            long targetAt = a + storeLength + fill.length;
            byte[] st = store(absolute, targetAt + p[0], p, a);
            return concat(concat(st, fill), target);
        };
        return Insn.of(String.format("patch %d byte(s) at +%d of the op eax, imm32 %d filler(s) ahead", p[1], p[0], fillers),
                ALL & ~Forms.A, Forms.A, 0, enc);
    }

    /** mov ecx, 2 ; L: op eax, imm32 ; store into L's op ; dec ecx ; jnz L. */
    private static Insn patchInLoop(Operands o) {
        byte[] target = target(o, OPS[o.rnd.nextInt(OPS.length)]);
        long[] p = patch(o, target);
        byte[] setup = Forms.movImm(CpuState.RCX, 2, false);
        boolean absolute = o.rnd.nextInt(4) == 0;
        Insn.Encoding enc = a -> {
            long loopAt = a + setup.length;
            byte[] st = store(absolute, loopAt + p[0], p, loopAt + target.length);
            byte[] body = concat(concat(target, st), new byte[] {(byte) 0xff, (byte) 0xc9});
            int rel = -(body.length + 2);
            return concat(concat(setup, body), new byte[] {0x75, (byte) rel});
        };
        return Insn.of(String.format("2 rounds of op eax, imm32 rewriting %d byte(s) at +%d of itself", p[1], p[0]),
                ALL, 0, 0, enc);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
