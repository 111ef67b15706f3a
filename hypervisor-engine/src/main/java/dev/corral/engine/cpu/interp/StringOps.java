package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.DF;
import static dev.corral.engine.cpu.state.CpuState.ZF;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.state.CpuMemory;

/**
 * MOVS, STOS, LODS, SCAS, CMPS with REP/REPE/REPNE, both directions and 32-bit addressing (67). A REP
 * instruction runs at most {@link #SLICE} iterations per execution and then re-executes itself (rip
 * unchanged), so a huge count cannot starve the caller's budget; each iteration commits RSI/RDI/RCX, so
 * a fault leaves the state of a completed iteration, as the hardware does.
 *
 * <p>Forward REP MOVS and REP STOS move eight bytes at a time while neither side crosses a page and the
 * copy does not overlap ahead of itself: they implement memcpy and memset.
 */
final class StringOps {

    static final long SLICE = 1 << 20;

    private final Operands x;
    private final long[] g;
    private final CpuMemory mem;

    StringOps(Operands x) {
        this.x = x;
        this.g = x.gpr;
        this.mem = x.mem;
    }

    int exec(Insn i) {
        if (i.rep == 0) {
            once(i);
            return Operands.NEXT;
        }
        long cnt = i.addr32 ? g[1] & 0xffffffffL : g[1];
        if (cnt == 0) {
            return Operands.NEXT;
        }
        boolean cmp = i.op == Op.SCAS || i.op == Op.CMPS;
        if (!cmp && !i.addr32 && (x.s.rflags & DF) == 0 && i.seg == 0
                && ((g[6] << 16) >> 16) == g[6] && ((g[7] << 16) >> 16) == g[7]) {
            if (i.op == Op.MOVS) {
                cnt = fastMovs(i.size, cnt);
            } else if (i.op == Op.STOS) {
                cnt = fastStos(i.size, cnt);
            }
            if (cnt == 0) {
                return Operands.NEXT;
            }
        }
        long n = 0;
        while (cnt != 0 && n < SLICE) {
            once(i);
            cnt--;
            n++;
            g[1] = i.addr32 ? cnt & 0xffffffffL : cnt; // the iteration is complete: commit the count
            if (cmp) {
                boolean zf = (x.s.rflags & ZF) != 0;
                if (i.rep == 3 ? !zf : zf) {
                    return Operands.NEXT;
                }
            }
        }
        return cnt == 0 ? Operands.NEXT : Operands.JUMPED;
    }

    private long src(Insn i) {
        long a = i.addr32 ? g[6] & 0xffffffffL : g[6];
        a = i.seg == 0 ? a : a + (i.seg == 1 ? x.s.fsBase : x.s.gsBase);
        if (((a << 16) >> 16) != a) {
            throw Operands.nonCanonical(i, a, false);
        }
        return a;
    }

    private long dst(Insn i) {
        long a = i.addr32 ? g[7] & 0xffffffffL : g[7];
        if (((a << 16) >> 16) != a) {
            throw Operands.nonCanonical(i, a, false);
        }
        return a;
    }

    private void advance(Insn i, int r, long step) {
        long v = g[r] + step;
        g[r] = i.addr32 ? v & 0xffffffffL : v;
    }

    private void once(Insn i) {
        int size = i.size;
        long step = (x.s.rflags & DF) != 0 ? -size : size;
        switch (i.op) {
            case Op.MOVS -> {
                x.store(dst(i), size, x.load(src(i), size));
                advance(i, 6, step);
                advance(i, 7, step);
            }
            case Op.STOS -> {
                x.store(dst(i), size, g[0]);
                advance(i, 7, step);
            }
            case Op.LODS -> {
                long v = x.load(src(i), size);
                x.setReg(0, size, v);
                advance(i, 6, step);
            }
            case Op.SCAS -> {
                long v = x.load(dst(i), size);
                x.alu.sub(size, x.reg(0, size), v, 0);
                x.s.rflags = x.alu.f;
                advance(i, 7, step);
            }
            default -> { // CMPS: [rsi] - [rdi]
                long a = x.load(src(i), size);
                long b = x.load(dst(i), size);
                x.alu.sub(size, a, b, 0);
                x.s.rflags = x.alu.f;
                advance(i, 6, step);
                advance(i, 7, step);
            }
        }
    }

    private static boolean inPage(long a) {
        return (a & (CpuMemory.PAGE_SIZE - 1)) <= CpuMemory.PAGE_SIZE - 8;
    }

    /** Copies whole 8-byte chunks while safe; returns the count left for the element-wise loop. */
    private long fastMovs(int size, long cnt) {
        long s = g[6];
        long d = g[7];
        long ahead = d - s;
        if (ahead > 0 && ahead < 8) {
            return cnt; // overlapping forward copy: byte semantics replicate the pattern
        }
        int per = 8 / size;
        long budget = SLICE;
        while (cnt >= per && budget-- > 0 && inPage(s) && inPage(d)) {
            mem.write64(d, mem.read64(s));
            s += 8;
            d += 8;
            cnt -= per;
            g[6] = s;
            g[7] = d;
            g[1] = cnt;
        }
        return cnt;
    }

    private long fastStos(int size, long cnt) {
        long v = g[0];
        long pattern = switch (size) {
            case 1 -> (v & 0xff) * 0x0101010101010101L;
            case 2 -> (v & 0xffff) * 0x0001000100010001L;
            case 4 -> (v & 0xffffffffL) * 0x0000000100000001L;
            default -> v;
        };
        long d = g[7];
        int per = 8 / size;
        long budget = SLICE;
        while (cnt >= per && budget-- > 0 && inPage(d)) {
            mem.write64(d, pattern);
            d += 8;
            cnt -= per;
            g[7] = d;
            g[1] = cnt;
        }
        return cnt;
    }
}
