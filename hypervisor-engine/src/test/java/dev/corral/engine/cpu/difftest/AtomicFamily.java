package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.ALL;
import static dev.corral.engine.cpu.difftest.Forms.Z;
import static dev.corral.engine.cpu.difftest.Forms.op;

import dev.corral.engine.cpu.state.CpuState;
import java.util.List;

/**
 * CMPXCHG (flags as CMP), XADD (flags as ADD), CMPXCHG8B and CMPXCHG16B (ZF only; 16B needs a
 * 16-byte aligned operand, else #GP), with and without LOCK. Half the time RAX (RDX:RAX) is loaded
 * from the operand first so the exchange succeeds.
 */
final class AtomicFamily {

    private AtomicFamily() {}

    static CaseGenerator generator(boolean cx16) {
        int reserved = (1 << CpuState.RAX) | (1 << CpuState.RDX) | (1 << CpuState.RBX) | (1 << CpuState.RCX);
        return new SequenceGenerator("atomic", reserved, 6, o -> {}, cx16
                ? List.of(AtomicFamily::cmpxchg, AtomicFamily::xadd, o -> cmpxchgNb(o, false), o -> cmpxchgNb(o, true))
                : List.of(AtomicFamily::cmpxchg, AtomicFamily::xadd, o -> cmpxchgNb(o, false)));
    }

    private static int[] lock(Operands o, Operand rm) {
        return rm instanceof Operand.Mem && o.rnd.nextBoolean() ? op(0xf0) : Forms.NONE;
    }

    private static Insn cmpxchg(Operands o) {
        int size = IntegerForms.size(o);
        Operand rm = o.dstRm(size);
        Operand.Reg r = o.srcReg(size);
        Insn insn = Forms.rmReg("cmpxchg " + Operands.name(rm, size) + ", " + Operands.name(r, size), size, lock(o, rm),
                op(0x0f, 0xb0), op(0x0f, 0xb1), r, rm, new byte[0], ALL, 0, 0);
        if (!(rm instanceof Operand.Mem m) || m.base() == Operand.Mem.RIP || o.rnd.nextBoolean()) return insn;
        Insn load = Forms.rmReg("", size, Forms.NONE, op(0x8a), op(0x8b), Operand.Reg.of(0), m, new byte[0], 0, 0, 0);
        return Forms.withSetup("mov " + Operands.regName(Operand.Reg.of(0), size) + ", " + Operands.memName(m, size),
                load.encoding().at(0), insn);
    }

    private static Insn xadd(Operands o) {
        int size = IntegerForms.size(o);
        Operand rm = o.dstRm(size);
        Operand.Reg r = o.dstReg(size);
        return Forms.rmReg("xadd " + Operands.name(rm, size) + ", " + Operands.name(r, size), size, lock(o, rm),
                op(0x0f, 0xc0), op(0x0f, 0xc1), r, rm, new byte[0], ALL, 0, 0);
    }

    private static Insn cmpxchgNb(Operands o, boolean wide) {
        Operand.Mem m = o.rnd.nextInt(20) == 0 ? o.mem(16) : wide ? o.alignedMem(16) : o.mem(8);
        int size = wide ? 64 : 32;
        Insn insn = Forms.modrm((wide ? "cmpxchg16b " : "cmpxchg8b ") + Operands.memName(m, wide ? 0 : 64), size,
                lock(o, m), null, op(0x0f, 0xc7), 1, false, m, new byte[0], Z, 0, 0);
        if (o.rnd.nextBoolean() || m.base() == Operand.Mem.RIP) return insn;
        // mov rax/eax, [m] ; mov rdx/edx, [m + width]
        Operand.Mem high = new Operand.Mem(m.base(), m.index(), m.scale(), m.disp() + size / 8, true);
        byte[] lo = Forms.rmReg("", size, Forms.NONE, null, op(0x8b), Operand.Reg.of(0), m, new byte[0], 0, 0, 0)
                .encoding().at(0);
        byte[] hi = Forms.rmReg("", size, Forms.NONE, null, op(0x8b), Operand.Reg.of(2), high, new byte[0], 0, 0, 0)
                .encoding().at(0);
        byte[] both = new byte[lo.length + hi.length];
        System.arraycopy(lo, 0, both, 0, lo.length);
        System.arraycopy(hi, 0, both, lo.length, hi.length);
        return Forms.withSetup("load rdx:rax from the operand", both, insn);
    }
}
