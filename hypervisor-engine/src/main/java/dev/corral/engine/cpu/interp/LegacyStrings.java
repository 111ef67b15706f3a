package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.DF;
import static dev.corral.engine.cpu.state.CpuState.ZF;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.sys.Segments;

/**
 * MOVS, STOS, LODS, SCAS and CMPS outside 64-bit mode: the source at DS:(E)SI (or the override segment), the
 * destination at ES:(E)DI, the count in CX or ECX, all as wide as the address size, every access checked
 * against its segment's limit. REP runs at most {@link StringOps#SLICE} iterations per execution and then
 * executes again, committing each iteration, as {@link StringOps} does in 64-bit mode.
 */
final class LegacyStrings {

    private final Operands x;
    private final Segments seg;
    private final long[] g;

    LegacyStrings(Operands x, Segments seg) {
        this.x = x;
        this.seg = seg;
        this.g = x.gpr;
    }

    int exec(Insn i) {
        long mask = i.addr16 ? 0xffff : 0xffffffffL;
        int countSize = i.addr16 ? 2 : 4;
        if (i.rep == 0) {
            once(i, mask, countSize);
            return Operands.NEXT;
        }
        boolean cmp = i.reg == 0xa6 || i.reg == 0xae;
        long cnt = g[CpuState.RCX] & mask;
        for (long n = 0; cnt != 0; n++) {
            if (n == StringOps.SLICE) {
                return Operands.JUMPED; // again from the same instruction
            }
            once(i, mask, countSize);
            cnt--;
            x.setReg(CpuState.RCX, countSize, cnt);
            if (cmp && ((x.s.rflags & ZF) != 0) != (i.rep == 3)) {
                break;
            }
        }
        return Operands.NEXT;
    }

    private void once(Insn i, long mask, int width) {
        int size = i.size;
        long step = (x.s.rflags & DF) != 0 ? -size : size;
        long si = g[CpuState.RSI] & mask;
        long di = g[CpuState.RDI] & mask;
        switch (i.reg) {
            case 0xa4 -> { // MOVS
                long v = x.load(seg.linear(i.sreg, si, size), size);
                x.store(seg.linear(Segments.ES, di, size), size, v);
                x.setReg(CpuState.RSI, width, si + step);
                x.setReg(CpuState.RDI, width, di + step);
            }
            case 0xaa -> { // STOS
                x.store(seg.linear(Segments.ES, di, size), size, g[0]);
                x.setReg(CpuState.RDI, width, di + step);
            }
            case 0xac -> { // LODS
                long v = x.load(seg.linear(i.sreg, si, size), size);
                x.setReg(CpuState.RAX, size, v);
                x.setReg(CpuState.RSI, width, si + step);
            }
            case 0xae -> { // SCAS
                long v = x.load(seg.linear(Segments.ES, di, size), size);
                x.alu.sub(size, x.reg(0, size), v, 0);
                x.s.rflags = x.alu.f;
                x.setReg(CpuState.RDI, width, di + step);
            }
            default -> { // CMPS: [DS:SI] - [ES:DI]
                long a = x.load(seg.linear(i.sreg, si, size), size);
                long b = x.load(seg.linear(Segments.ES, di, size), size);
                x.alu.sub(size, a, b, 0);
                x.s.rflags = x.alu.f;
                x.setReg(CpuState.RSI, width, si + step);
                x.setReg(CpuState.RDI, width, di + step);
            }
        }
    }
}
