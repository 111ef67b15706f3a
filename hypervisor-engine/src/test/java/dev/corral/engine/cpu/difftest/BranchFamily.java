package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.A;
import static dev.corral.engine.cpu.difftest.Forms.C;
import static dev.corral.engine.cpu.difftest.Forms.O;
import static dev.corral.engine.cpu.difftest.Forms.P;
import static dev.corral.engine.cpu.difftest.Forms.S;
import static dev.corral.engine.cpu.difftest.Forms.Z;
import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.List;

/**
 * Everything that reads the condition codes: CMOVcc, SETcc, Jcc (short and near, forward inside the
 * sequence), JMP, LAHF/SAHF, CLC/STC/CMC, mixed with flag-setting arithmetic so the conditions vary.
 */
final class BranchFamily {

    /** The flags each condition code 0..15 reads (O NO B AE E NE BE A S NS P NP L GE LE G). */
    static final long[] READS = {O, O, C, C, Z, Z, C | Z, C | Z, S, S, P, P, S | O, S | O, Z | S | O, Z | S | O};
    static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"};

    private BranchFamily() {}

    /** @param syscalls whether SYSCALL may be generated (the harness can trap it) */
    static CaseGenerator generator(boolean syscalls) {
        return new SequenceGenerator("branch", 0, 8, o -> {}, List.of(
                o -> IntegerForms.alu(o, o.rnd.nextInt(8)), o -> IntegerForms.alu(o, 7),
                BranchFamily::cmov, BranchFamily::setcc, BranchFamily::jcc, BranchFamily::jcc, BranchFamily::jmp,
                o -> flagOps(o, syscalls), BranchFamily::loop));
    }

    private static Insn cmov(Operands o) {
        int cc = o.rnd.nextInt(16);
        int size = 16 << o.rnd.nextInt(3);
        Operand.Reg r = Operand.Reg.of(o.dst());
        Operand rm = o.srcRm(size);
        return Forms.rmReg("cmov" + CC[cc] + " " + Operands.regName(r, size) + ", " + Operands.name(rm, size), size,
                Forms.NONE, null, op(0x0f, 0x40 + cc), r, rm, new byte[0], 0, 0, READS[cc]);
    }

    private static Insn setcc(Operands o) {
        int cc = o.rnd.nextInt(16);
        Operand rm = o.dstRm(8);
        return Forms.modrm("set" + CC[cc] + " " + Operands.name(rm, 8), 8, Forms.NONE, op(0x0f, 0x90 + cc), null, 0,
                false, rm, new byte[0], 0, 0, READS[cc]);
    }

    /** A forward branch over the next 1..3 instructions; its encoding gets the displacement. */
    private static Insn jcc(Operands o) {
        int cc = o.rnd.nextInt(16);
        int skip = 1 + o.rnd.nextInt(3);
        boolean near = o.rnd.nextInt(3) == 0;
        Insn.Encoding enc = near
                ? rel -> concat(new byte[] {0x0f, (byte) (0x80 + cc)}, X86.le(rel, 4))
                : rel -> new byte[] {(byte) (0x70 + cc), (byte) rel};
        return new Insn("j" + CC[cc] + (near ? " near" : "") + " +" + skip, 0, 0, READS[cc], 0, skip, enc);
    }

    private static Insn jmp(Operands o) {
        int skip = 1 + o.rnd.nextInt(2);
        boolean near = o.rnd.nextBoolean();
        Insn.Encoding enc = near
                ? rel -> concat(new byte[] {(byte) 0xe9}, X86.le(rel, 4))
                : rel -> new byte[] {(byte) 0xeb, (byte) rel};
        return new Insn("jmp" + (near ? " near" : "") + " +" + skip, 0, 0, 0, 0, skip, enc);
    }

    /** LOOP/LOOPE/LOOPNE (E2/E1/E0, decrement RCX) and JRCXZ (E3), forward over 1..2 instructions. */
    private static Insn loop(Operands o) {
        int kind = o.rnd.nextInt(4);
        if (kind < 3 && o.isPinned(1)) return null;
        int skip = 1 + o.rnd.nextInt(2);
        String[] names = {"loopne", "loope", "loop", "jrcxz"};
        long reads = kind < 2 ? Forms.Z : 0;
        return new Insn(names[kind] + " +" + skip, 0, 0, reads, 0, skip, rel -> new byte[] {(byte) (0xe0 + kind), (byte) rel});
    }

    /**
     * LAHF reads SF ZF AF PF CF into AH; SAHF writes them from AH (OF unchanged); and now and then
     * SYSCALL, which ends the case with RCX = the next RIP and R11 = RFLAGS (so it reads every flag).
     * RAX gets an ordinary call number (below 300) first: the host kernel treats a RAX of -512..-516
     * (its internal restart codes) specially when it delivers the harness's SIGSYS, and some hosts
     * handle a few unassigned numbers above 300 before seccomp sees them.
     */
    private static Insn flagOps(Operands o, boolean syscalls) {
        if (syscalls && o.rnd.nextInt(8) == 0) {
            int nr = o.rnd.nextInt(300);
            return Forms.withSetup("mov eax, " + nr, Forms.movImm(0, nr, false),
                    Insn.of("syscall", 0, 0, Forms.ALL, new byte[] {0x0f, 0x05}));
        }
        return switch (o.rnd.nextInt(5)) {
            case 0 -> o.isPinned(0) ? null : Insn.of("lahf", 0, 0, S | Z | A | P | C, new byte[] {(byte) 0x9f});
            case 1 -> Insn.of("sahf", S | Z | A | P | C, 0, 0, new byte[] {(byte) 0x9e});
            case 2 -> Insn.of("clc", C, 0, 0, new byte[] {(byte) 0xf8});
            case 3 -> Insn.of("stc", C, 0, 0, new byte[] {(byte) 0xf9});
            default -> Insn.of("cmc", C, 0, C, new byte[] {(byte) 0xf5});
        };
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
