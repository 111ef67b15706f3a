package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.List;

/**
 * SSE2 integer instructions: compares, min/max, logic, add/sub (wrapping and saturating), multiplies,
 * averages, shifts (by XMM and by immediate, byte shifts), unpacks, packs, shuffles, and the moves
 * between XMM, memory and general registers. 128-bit memory operands are 16-byte aligned except now
 * and then (legacy SSE then raises #GP, except for MOVDQU).
 */
final class SseIntFamily {

    /** 66 0F xx /r xmm, xmm/m128 operations. */
    private static final int[] BINARY = {
        0x74, 0x75, 0x76, 0x64, 0x65, 0x66, 0xda, 0xde, 0xea, 0xee, 0xef, 0xeb, 0xdb, 0xdf, 0xfc, 0xfd, 0xfe, 0xd4,
        0xf8, 0xf9, 0xfa, 0xfb, 0xdc, 0xdd, 0xd8, 0xd9, 0xec, 0xed, 0xe8, 0xe9, 0xd5, 0xe5, 0xe4, 0xf4, 0xf5, 0xf6,
        0xe0, 0xe3, 0xf1, 0xf2, 0xf3, 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0x60, 0x61, 0x62, 0x6c, 0x68, 0x69, 0x6a, 0x6d,
        0x63, 0x67, 0x6b,
    };
    /** 66 0F 71/72/73 /ext ib shifts by immediate: {opcode, ext}. */
    private static final int[][] SHIFT_IMM = {
        {0x71, 2}, {0x71, 4}, {0x71, 6}, {0x72, 2}, {0x72, 4}, {0x72, 6}, {0x73, 2}, {0x73, 6}, {0x73, 3}, {0x73, 7},
    };

    private SseIntFamily() {}

    static CaseGenerator generator() {
        return new SequenceGenerator("sse-int", 0, 6, o -> {}, List.of(
                SseIntFamily::binary, SseIntFamily::binary, SseIntFamily::binary, SseIntFamily::shiftImm,
                SseIntFamily::shuffle, SseIntFamily::moveDq, SseIntFamily::moveGpr, SseIntFamily::moveQ,
                SseIntFamily::maskAndWords, SseIntFamily::hintsAndNonTemporal));
    }

    /** An XMM register or a 128-bit memory operand, 16-byte aligned but one time in twelve (then #GP). */
    static Operand xmmOrMem128(Operands o) {
        if (o.rnd.nextInt(3) != 0) return new Operand.Xmm(o.xmm());
        return o.rnd.nextInt(12) == 0 ? o.mem(16) : o.alignedMem(16);
    }

    static String name(Operand rm) {
        return Operands.name(rm, 128);
    }

    private static Insn binary(Operands o) {
        int opcode = BINARY[o.rnd.nextInt(BINARY.length)];
        int x = o.xmm();
        Operand rm = xmmOrMem128(o);
        return Forms.sse(String.format("sse 66 0f %02x xmm%d, %s", opcode, x, name(rm)), 0x66, false, op(0x0f, opcode),
                x, rm, new byte[0], 0);
    }

    private static Insn shiftImm(Operands o) {
        int[] s = SHIFT_IMM[o.rnd.nextInt(SHIFT_IMM.length)];
        int x = o.xmm();
        int imm = o.rnd.nextInt(3) == 0 ? o.rnd.nextInt(256) : o.rnd.nextInt(20);
        return Forms.sse(String.format("sse 66 0f %02x /%d xmm%d, %d", s[0], s[1], x, imm), 0x66, false,
                op(0x0f, s[0]), s[1], new Operand.Xmm(x), Forms.imm(imm, 1), 0);
    }

    /** pshufd (66), pshufhw (F3), pshuflw (F2): 0F 70 ib. */
    private static Insn shuffle(Operands o) {
        int[] prefixes = {0x66, 0xf3, 0xf2};
        int p = prefixes[o.rnd.nextInt(3)];
        int x = o.xmm();
        Operand rm = xmmOrMem128(o);
        int imm = o.rnd.nextInt(256);
        return Forms.sse(String.format("%s xmm%d, %s, 0x%x", p == 0x66 ? "pshufd" : p == 0xf3 ? "pshufhw" : "pshuflw", x,
                name(rm), imm), p, false, op(0x0f, 0x70), x, rm, Forms.imm(imm, 1), 0);
    }

    /** movdqa (66) / movdqu (F3): 0F 6F load, 0F 7F store. */
    private static Insn moveDq(Operands o) {
        boolean aligned = o.rnd.nextBoolean();
        boolean store = o.rnd.nextBoolean();
        int x = o.xmm();
        Operand rm = o.rnd.nextInt(4) == 0 ? new Operand.Xmm(o.xmm())
                : aligned ? (o.rnd.nextInt(10) == 0 ? o.mem(16) : o.alignedMem(16)) : o.mem(16);
        String n = aligned ? "movdqa" : "movdqu";
        String text = store ? n + " " + name(rm) + ", xmm" + x : n + " xmm" + x + ", " + name(rm);
        return Forms.sse(text, aligned ? 0x66 : 0xf3, false, op(0x0f, store ? 0x7f : 0x6f), x, rm, new byte[0], 0);
    }

    /** movd/movq between XMM and a general register or memory: 66 [REX.W] 0F 6E / 7E. */
    private static Insn moveGpr(Operands o) {
        boolean wide = o.rnd.nextBoolean();
        boolean toXmm = o.rnd.nextBoolean();
        int x = o.xmm();
        int size = wide ? 64 : 32;
        Operand rm = toXmm ? o.srcRm(size) : o.dstRm(size);
        if (rm instanceof Operand.Reg r && r.high()) rm = Operand.Reg.of(r.num());
        String n = wide ? "movq" : "movd";
        String text = toXmm ? n + " xmm" + x + ", " + Operands.name(rm, size) : n + " " + Operands.name(rm, size) + ", xmm" + x;
        return Forms.sse(text, 0x66, wide, op(0x0f, toXmm ? 0x6e : 0x7e), x, rm, new byte[0], 0);
    }

    /** movq xmm, xmm/m64 (F3 0F 7E, zeroes the high half) and movq xmm/m64, xmm (66 0F D6). */
    private static Insn moveQ(Operands o) {
        boolean load = o.rnd.nextBoolean();
        int x = o.xmm();
        Operand rm = o.rnd.nextBoolean() ? new Operand.Xmm(o.xmm()) : o.mem(8);
        return load
                ? Forms.sse("movq xmm" + x + ", " + Operands.name(rm, 64), 0xf3, false, op(0x0f, 0x7e), x, rm, new byte[0], 0)
                : Forms.sse("movq " + Operands.name(rm, 64) + ", xmm" + x, 0x66, false, op(0x0f, 0xd6), x, rm, new byte[0], 0);
    }

    /**
     * What memcpy/memset use around the data: non-temporal stores (movntdq 66 0F E7, movntps/pd 0F 2B,
     * movnti 0F C3), prefetches (0F 18 /0../3, which never fault, even on an inaccessible address) and
     * fences (0F AE E8/F0/F8).
     */
    private static Insn hintsAndNonTemporal(Operands o) {
        int x = o.xmm();
        return switch (o.rnd.nextInt(5)) {
            case 0 -> {
                int[] prefixes = {0x66, 0, 0x66};
                int k = o.rnd.nextInt(3);
                Operand.Mem m = o.rnd.nextInt(10) == 0 ? o.mem(16) : o.alignedMem(16);
                yield Forms.sse((k == 0 ? "movntdq " : k == 1 ? "movntps " : "movntpd ") + name(m) + ", xmm" + x,
                        prefixes[k], false, op(0x0f, k == 0 ? 0xe7 : 0x2b), x, m, new byte[0], 0);
            }
            case 1 -> {
                boolean wide = o.rnd.nextBoolean();
                Operand.Mem m = o.mem(wide ? 8 : 4);
                Operand.Reg r = Operand.Reg.of(o.src());
                yield Forms.sse("movnti " + Operands.memName(m, wide ? 64 : 32) + ", " + Operands.regName(r, wide ? 64 : 32),
                        0, wide, op(0x0f, 0xc3), r.num(), m, new byte[0], 0);
            }
            case 2, 3 -> {
                int hint = o.rnd.nextInt(4);
                Operand.Mem m = o.rnd.nextInt(4) == 0 ? new Operand.Mem(-1, -1, 1, GuestLayout.NO_ACCESS + 64, true) : o.mem(1);
                yield Forms.sse("prefetch" + new String[] {"nta", "t0", "t1", "t2"}[hint] + " " + Operands.memName(m, 8), 0,
                        false, op(0x0f, 0x18), hint, m, new byte[0], 0);
            }
            default -> {
                int[] fences = {0xe8, 0xf0, 0xf8};
                int f = fences[o.rnd.nextInt(3)];
                yield Insn.of(f == 0xe8 ? "lfence" : f == 0xf0 ? "mfence" : "sfence", 0, 0, 0,
                        new byte[] {0x0f, (byte) 0xae, (byte) f});
            }
        };
    }

    /** pmovmskb r32, xmm; pextrw r32, xmm, ib; pinsrw xmm, r32/m16, ib. */
    private static Insn maskAndWords(Operands o) {
        int x = o.xmm();
        int g = o.dst();
        String gName = Operands.regName(Operand.Reg.of(g), 32);
        return switch (o.rnd.nextInt(3)) {
            case 0 -> Forms.sse("pmovmskb " + gName + ", xmm" + x, 0x66, false, op(0x0f, 0xd7), g, new Operand.Xmm(x),
                    new byte[0], 0);
            case 1 -> {
                int imm = o.rnd.nextInt(16);
                yield Forms.sse("pextrw " + gName + ", xmm" + x + ", " + imm, 0x66, false, op(0x0f, 0xc5), g,
                        new Operand.Xmm(x), Forms.imm(imm, 1), 0);
            }
            default -> {
                int imm = o.rnd.nextInt(16);
                Operand rm = o.rnd.nextBoolean() ? Operand.Reg.of(o.src()) : o.mem(2);
                yield Forms.sse("pinsrw xmm" + x + ", " + Operands.name(rm, 32) + ", " + imm, 0x66, false, op(0x0f, 0xc4),
                        x, rm, Forms.imm(imm, 1), 0);
            }
        };
    }
}
