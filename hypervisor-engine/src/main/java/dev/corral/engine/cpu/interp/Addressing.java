package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.sys.Segments;

/** The memory operand of a decoded instruction outside 64-bit mode: an offset in its segment, and its linear address. */
final class Addressing {
    private Addressing() {
    }

    /** The effective address of {@code i}'s memory operand: an offset, 16 or 32 bits wide. */
    static long offset(CpuState s, Insn i) {
        long a = i.disp;
        if (i.base >= 0) {
            a += s.gpr[i.base];
        }
        if (i.index >= 0) {
            a += s.gpr[i.index] << i.scale;
        }
        return i.addr16 ? a & 0xffff : a & 0xffffffffL;
    }

    /** The linear address of {@code i}'s memory operand, its segment's limit checked for the operand's size. */
    static long linear(Segments seg, CpuState s, Insn i) {
        return seg.linear(i.sreg, offset(s, i), accessSize(i));
    }

    private static int accessSize(Insn i) {
        return switch (i.op) {
            case Op.MOVZX, Op.MOVSX -> i.size2;
            case Op.SSE -> Math.max(1, i.size2);
            case Op.X87, Op.MMX -> 1;
            case Op.CMPXCHG8B -> 8;
            default -> i.size;
        };
    }
}
