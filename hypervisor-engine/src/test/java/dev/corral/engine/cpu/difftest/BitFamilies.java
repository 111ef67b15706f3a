package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.A;
import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.C;
import static dev.corral.engine.cpu.difftest.Forms.O;
import static dev.corral.engine.cpu.difftest.Forms.P;
import static dev.corral.engine.cpu.difftest.Forms.S;
import static dev.corral.engine.cpu.difftest.Forms.Z;
import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.ArrayList;
import java.util.List;

/**
 * BT/BTS/BTR/BTC (CF defined, ZF unchanged, OF SF AF PF undefined) and the bit scans: BSF/BSR (ZF
 * defined, the rest undefined, the destination undefined for a zero source), TZCNT/LZCNT (CF and ZF
 * defined) and POPCNT (all defined), each only where both CPUs advertise it.
 */
final class BitFamilies {

    private static final String[] BT = {"bt", "bts", "btr", "btc"};

    private BitFamilies() {}

    static CaseGenerator bitTest() {
        return new SequenceGenerator("bittest", 0, 8, o -> {}, List.of(BitFamilies::btImm, BitFamilies::btReg));
    }

    private static Insn btImm(Operands o) {
        int k = o.rnd.nextInt(4);
        int size = 16 << o.rnd.nextInt(3);
        Operand rm = k == 0 ? o.srcRm(size) : o.dstRm(size);
        int bit = o.rnd.nextInt(4) == 0 ? o.rnd.nextInt(256) : o.rnd.nextInt(size);
        return Forms.modrm(BT[k] + " " + Operands.name(rm, size) + ", " + bit, size, IntegerForms.lockIf(o, rm, k > 0),
                null, op(0x0f, 0xba), 4 + k, false, rm, Forms.imm(bit, 1), C, O | S | A | P, 0);
    }

    /**
     * With a register bit offset a memory operand addresses beyond itself (offset / 8, signed), so the
     * offset is set just before to a value that stays inside the data page.
     */
    private static Insn btReg(Operands o) {
        int k = o.rnd.nextInt(4);
        int size = 16 << o.rnd.nextInt(3);
        int[] opcode = op(0x0f, 0xa3 + 8 * k);
        if (o.rnd.nextBoolean()) {
            Operand.Reg rm = Operand.Reg.of(k == 0 ? o.src() : o.dst());
            Operand.Reg r = Operand.Reg.of(o.src());
            return Forms.rmReg(BT[k] + " " + Operands.regName(rm, size) + ", " + Operands.regName(r, size), size,
                    Forms.NONE, null, opcode, r, rm, new byte[0], C, O | S | A | P, 0);
        }
        Operand.Reg r = Operand.Reg.of(o.dst());
        long offset = o.rnd.nextInt(1200) - 600;
        Operand.Mem m = new Operand.Mem(o.base, -1, 1, o.rnd.nextInt(64) - 32, false);
        Insn bt = Forms.rmReg(BT[k] + " " + Operands.memName(m, size) + ", " + Operands.regName(r, size), size,
                IntegerForms.lockIf(o, m, k > 0), null, opcode, r, m, new byte[0], C, O | S | A | P, 0);
        return Forms.withSetup("mov " + Operands.regName(r, 64) + ", " + offset, Forms.movImm(r.num(), offset, true), bt);
    }

    /** Which bit-scan instructions to generate: those both the host and the software CPU advertise. */
    record Scans(boolean popcnt, boolean lzcnt, boolean tzcnt) {}

    static CaseGenerator bitScan(Scans scans) {
        List<java.util.function.Function<Operands, Insn>> t = new ArrayList<>();
        t.add(o -> scan(o, "bsf", 0, 0xbc, Z, ALL & ~Z, true));
        t.add(o -> scan(o, "bsr", 0, 0xbd, Z, ALL & ~Z, true));
        if (scans.tzcnt()) t.add(o -> scan(o, "tzcnt", 0xf3, 0xbc, Z | C, O | S | P | A, false));
        if (scans.lzcnt()) t.add(o -> scan(o, "lzcnt", 0xf3, 0xbd, Z | C, O | S | P | A, false));
        if (scans.popcnt()) t.add(o -> scan(o, "popcnt", 0xf3, 0xb8, ALL, 0, false));
        return new SequenceGenerator("bitscan", 0, 4, o -> {}, t);
    }

    /**
     * The source is a register set just before (so a zero source, which leaves BSF/BSR's destination
     * undefined, is known) or, for the count instructions, memory.
     */
    private static Insn scan(Operands o, String name, int prefix, int opcode, long def, long undef, boolean zeroUndefined) {
        int size = 16 << o.rnd.nextInt(3);
        Operand.Reg dst = Operand.Reg.of(o.dst());
        int[] pre = prefix == 0 ? Forms.NONE : new int[] {prefix};
        if (!zeroUndefined && o.rnd.nextInt(3) == 0) {
            Operand rm = o.srcRm(size);
            return Forms.rmReg(name + " " + Operands.regName(dst, size) + ", " + Operands.name(rm, size), size, pre, null,
                    op(0x0f, opcode), dst, rm, new byte[0], def, undef, 0);
        }
        Operand.Reg src = Operand.Reg.of(o.dst());
        long value = o.rnd.nextInt(4) == 0 ? 0 : Values.interesting64(o.rnd);
        long seen = size == 64 ? value : value & ((1L << size) - 1);
        Insn insn = Forms.rmReg(name + " " + Operands.regName(dst, size) + ", " + Operands.regName(src, size), size, pre,
                null, op(0x0f, opcode), dst, src, new byte[0], def, undef, 0);
        if (zeroUndefined && seen == 0) insn = insn.leavingUndefined(1 << dst.num());
        return Forms.withSetup("mov " + Operands.regName(src, 64) + ", " + Forms.hexImm(value),
                Forms.movImm(src.num(), value, true), insn);
    }
}
