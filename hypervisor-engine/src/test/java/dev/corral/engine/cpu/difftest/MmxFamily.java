package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MMX (advertised by the software CPU's CPUID): the 0F-map integer operations on MM0..MM7 and the SSE
 * extensions to them (pminub, pavgb, psadbw, pmovmskb, pshufw, pextrw, pinsrw), loaded from memory and
 * general registers. MM registers are not in CpuState, so every case ends by storing all eight to the
 * data page, then EMMS. Both CPUs start with them zero.
 */
final class MmxFamily implements CaseGenerator {

    /** 0F xx /r mm, mm/m64: the SSE2 integer table minus the qword unpacks, which have no MMX form. */
    private static final int[] BINARY = {
        0x74, 0x75, 0x76, 0x64, 0x65, 0x66, 0xda, 0xde, 0xea, 0xee, 0xef, 0xeb, 0xdb, 0xdf, 0xfc, 0xfd, 0xfe, 0xd4,
        0xf8, 0xf9, 0xfa, 0xfb, 0xdc, 0xdd, 0xd8, 0xd9, 0xec, 0xed, 0xe8, 0xe9, 0xd5, 0xe5, 0xe4, 0xf4, 0xf5, 0xf6,
        0xe0, 0xe3, 0xf1, 0xf2, 0xf3, 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0x60, 0x61, 0x62, 0x68, 0x69, 0x6a, 0x63, 0x67,
        0x6b,
    };

    @Override
    public String family() {
        return "mmx";
    }

    @Override
    public Draft next(Random rnd) {
        Operands o = new Operands(rnd, 0);
        List<Insn> insns = new ArrayList<>();
        int length = 1 + rnd.nextInt(8);
        while (insns.size() < length) {
            Insn insn = switch (rnd.nextInt(6)) {
                case 0, 1 -> binary(o);
                case 2 -> load(o);
                case 3 -> shiftImm(o);
                case 4 -> toGpr(o);
                default -> store(o);
            };
            if (insn != null) insns.add(insn);
        }
        for (int i = 0; i < 8; i++) {
            Operand.Mem m = new Operand.Mem(o.base, -1, 1, -0x600 + 8 * i, true);
            insns.add(Forms.sse("movq " + Operands.memName(m, 64) + ", mm" + i, 0, false, op(0x0f, 0x7f), i, m,
                    new byte[0], 0));
        }
        insns.add(Insn.of("emms", 0, 0, 0, new byte[] {0x0f, 0x77}));
        return new Draft(family(), insns, o);
    }

    private static Operand mmOrMem(Operands o) {
        return o.rnd.nextInt(3) == 0 ? o.mem(8) : new Operand.Xmm(o.rnd.nextInt(8));
    }

    private static String name(Operand rm) {
        return rm instanceof Operand.Xmm x ? "mm" + x.num() : Operands.name(rm, 64);
    }

    private static Insn binary(Operands o) {
        int opcode = BINARY[o.rnd.nextInt(BINARY.length)];
        int r = o.rnd.nextInt(8);
        Operand rm = mmOrMem(o);
        return Forms.sse(String.format("mmx 0f %02x mm%d, %s", opcode, r, name(rm)), 0, false, op(0x0f, opcode), r, rm,
                new byte[0], 0);
    }

    /** movq mm, mm/m64 (0F 6F), movd mm, r/m32 (0F 6E), pinsrw mm, r32/m16, ib (0F C4). */
    private static Insn load(Operands o) {
        int r = o.rnd.nextInt(8);
        return switch (o.rnd.nextInt(3)) {
            case 0 -> {
                Operand rm = mmOrMem(o);
                yield Forms.sse("movq mm" + r + ", " + name(rm), 0, false, op(0x0f, 0x6f), r, rm, new byte[0], 0);
            }
            case 1 -> {
                Operand rm = o.rnd.nextBoolean() ? Operand.Reg.of(o.src() & 7) : o.mem(4);
                yield Forms.sse("movd mm" + r + ", " + Operands.name(rm, 32), 0, false, op(0x0f, 0x6e), r, rm, new byte[0], 0);
            }
            default -> {
                Operand rm = o.rnd.nextBoolean() ? Operand.Reg.of(o.src() & 7) : o.mem(2);
                int imm = o.rnd.nextInt(8);
                yield Forms.sse("pinsrw mm" + r + ", " + Operands.name(rm, 32) + ", " + imm, 0, false, op(0x0f, 0xc4), r, rm,
                        Forms.imm(imm, 1), 0);
            }
        };
    }

    /** 0F 71/72/73 /2 /4 /6 ib, and pshufw mm, mm/m64, ib (0F 70). */
    private static Insn shiftImm(Operands o) {
        int r = o.rnd.nextInt(8);
        int imm = o.rnd.nextInt(3) == 0 ? o.rnd.nextInt(256) : o.rnd.nextInt(20);
        if (o.rnd.nextInt(4) == 0) {
            Operand rm = mmOrMem(o);
            return Forms.sse("pshufw mm" + r + ", " + name(rm) + ", " + imm, 0, false, op(0x0f, 0x70), r, rm,
                    Forms.imm(imm, 1), 0);
        }
        int[][] forms = {{0x71, 2}, {0x71, 4}, {0x71, 6}, {0x72, 2}, {0x72, 4}, {0x72, 6}, {0x73, 2}, {0x73, 6}};
        int[] f = forms[o.rnd.nextInt(forms.length)];
        return Forms.sse(String.format("mmx 0f %02x /%d mm%d, %d", f[0], f[1], r, imm), 0, false, op(0x0f, f[0]), f[1],
                new Operand.Xmm(r), Forms.imm(imm, 1), 0);
    }

    /** movd r/m32, mm (0F 7E), pmovmskb r32, mm (0F D7), pextrw r32, mm, ib (0F C5). */
    private static Insn toGpr(Operands o) {
        int mm = o.rnd.nextInt(8);
        int g = o.dst();
        if (g >= 8) return null; // REX would be needed; keep MMX encodings REX-free
        String gName = Operands.regName(Operand.Reg.of(g), 32);
        return switch (o.rnd.nextInt(3)) {
            case 0 -> Forms.sse("movd " + gName + ", mm" + mm, 0, false, op(0x0f, 0x7e), mm, Operand.Reg.of(g), new byte[0], 0);
            case 1 -> Forms.sse("pmovmskb " + gName + ", mm" + mm, 0, false, op(0x0f, 0xd7), g, new Operand.Xmm(mm),
                    new byte[0], 0);
            default -> {
                int imm = o.rnd.nextInt(8);
                yield Forms.sse("pextrw " + gName + ", mm" + mm + ", " + imm, 0, false, op(0x0f, 0xc5), g,
                        new Operand.Xmm(mm), Forms.imm(imm, 1), 0);
            }
        };
    }

    /** movq m64, mm (0F 7F), movd m32, mm (0F 7E). */
    private static Insn store(Operands o) {
        int mm = o.rnd.nextInt(8);
        boolean q = o.rnd.nextBoolean();
        Operand.Mem m = o.mem(q ? 8 : 4);
        return Forms.sse((q ? "movq " : "movd ") + Operands.memName(m, q ? 64 : 32) + ", mm" + mm, 0, false,
                op(0x0f, q ? 0x7f : 0x7e), mm, m, new byte[0], 0);
    }
}
