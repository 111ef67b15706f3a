package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.ALL;

import dev.corral.engine.cpu.state.CpuState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * MOVS/CMPS/STOS/LODS/SCAS in all widths, bare or with REP/REPE/REPNE (count 0..20, set just
 * before), with DF clear or set, plus CLD/STD. RSI and RDI start inside the data page far enough from
 * its ends for any count.
 */
final class StringFamily implements CaseGenerator {

    private static final String[] NAMES = {"movs", "cmps", null, "stos", "lods", "scas"};
    private static final int[] OPCODES = {0xa4, 0xa6, 0, 0xaa, 0xac, 0xae};
    private static final String[] SUFFIX = {"b", "w", "d", "q"};

    @Override
    public String family() {
        return "string";
    }

    @Override
    public Draft next(Random rnd) {
        int reserved = (1 << CpuState.RSI) | (1 << CpuState.RDI) | (1 << CpuState.RCX) | (1 << CpuState.RAX);
        Operands o = new Operands(rnd, reserved);
        o.pin(CpuState.RSI, GuestLayout.DATA + 0x300 + rnd.nextInt(0xa00));
        o.pin(CpuState.RDI, GuestLayout.DATA + 0x300 + rnd.nextInt(0xa00));
        o.pin(CpuState.RCX, rnd.nextInt(8));
        if (rnd.nextBoolean()) o.init.rflags |= CpuState.DF;
        int length = 1 + rnd.nextInt(4);
        List<Insn> insns = new ArrayList<>();
        while (insns.size() < length) {
            int pick = rnd.nextInt(12);
            if (pick == 10) insns.add(Insn.of("cld", 0, 0, 0, new byte[] {(byte) 0xfc}));
            else if (pick == 11) insns.add(Insn.of("std", 0, 0, 0, new byte[] {(byte) 0xfd}));
            else insns.add(string(o));
        }
        return new Draft(family(), insns, o);
    }

    private static Insn string(Operands o) {
        int k;
        do k = o.rnd.nextInt(6); while (k == 2);
        int width = o.rnd.nextInt(4);
        boolean compares = k == 1 || k == 5;
        int rep = o.rnd.nextInt(3); // 0 none, 1 F3 (REP/REPE), 2 F2 (REPNE, only for CMPS/SCAS)
        if (rep == 2 && !compares) rep = 1;
        List<Integer> bytes = new ArrayList<>();
        if (rep == 1) bytes.add(0xf3);
        if (rep == 2) bytes.add(0xf2);
        if (width == 1) bytes.add(0x66);
        if (width == 3) bytes.add(0x48);
        bytes.add(OPCODES[k] + (width == 0 ? 0 : 1));
        byte[] code = new byte[bytes.size()];
        for (int i = 0; i < code.length; i++) code[i] = (byte) (int) bytes.get(i);
        String prefix = rep == 0 ? "" : rep == 2 ? "repne " : compares ? "repe " : "rep ";
        Insn insn = Insn.of(prefix + NAMES[k] + SUFFIX[width], compares ? ALL : 0, 0, 0, code);
        if (rep == 0 || o.rnd.nextInt(8) == 0) return insn;
        int count = o.rnd.nextInt(21);
        return Forms.withSetup("mov ecx, " + count, Forms.movImm(CpuState.RCX, count, false), insn);
    }
}
