package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.sys.Segments;
import dev.corral.engine.cpu.sys.TimeStampCounter;

/**
 * What the ops classes see of the interpreter: the registers and flags, guest memory, the addressing and access of
 * an instruction's operands (faults raised as the manual says), the ALU's flags, the time stamp counter and the exit
 * an instruction leaves through. Not the dispatch, the other ops or the run loop: those stay {@link Interp}'s.
 * {@link Interp} is its only subclass and every method is final, so calls through it bind as directly as calls to
 * the interpreter did.
 */
public abstract sealed class Operands permits Interp {

    /** What a handler returns: go on with the next instruction, a control transfer set rip, or leave the run loop. */
    public static final int NEXT = 0, JUMPED = 1, EXIT = 2;

    /** The exit of HLT (one instance: it carries nothing). */
    public static final CpuExit.Halt HALT_EXIT = new CpuExit.Halt();

    public final CpuState s;
    public final long[] gpr;
    public final CpuMemory mem;
    final Alu alu;
    private CpuExit exit;
    /** This vCPU's time stamp counter (set by the CPU that owns the interpreter). */
    public TimeStampCounter tsc;
    /** Segmentation of a system CPU (legacy and compatibility modes address through it); null in user mode. */
    public Segments seg;

    Operands(CpuState s, CpuMemory mem) {
        this.s = s;
        this.gpr = s.gpr;
        this.mem = mem;
        this.alu = new Alu(s);
    }

    final void setExit(CpuExit e) {
        exit = e;
    }

    public final CpuExit takeExit() {
        CpuExit e = exit;
        exit = null;
        return e;
    }

    /** The time stamp counter: the VM's invariant clock plus this vCPU's offset. */
    public final long tsc() {
        return tsc.read();
    }

    final void setTsc(long value) {
        tsc.write(value);
    }

    final long reg(int r, int size) {
        return switch (size) {
            case 1 -> r >= 16 ? (gpr[r - 16] >>> 8) & 0xff : gpr[r] & 0xff;
            case 2 -> gpr[r] & 0xffff;
            case 4 -> gpr[r] & 0xffffffffL;
            default -> gpr[r];
        };
    }

    public final void setReg(int r, int size, long v) {
        switch (size) {
            case 1 -> {
                if (r >= 16) {
                    gpr[r - 16] = (gpr[r - 16] & ~0xff00L) | ((v & 0xff) << 8);
                } else {
                    gpr[r] = (gpr[r] & ~0xffL) | (v & 0xff);
                }
            }
            case 2 -> gpr[r] = (gpr[r] & ~0xffffL) | (v & 0xffff);
            case 4 -> gpr[r] = v & 0xffffffffL;
            default -> gpr[r] = v;
        }
    }

    final long ea(Insn i) {
        if (i.sreg >= 0) {
            return Addressing.linear(seg, s, i); // legacy or compatibility mode: an offset in a segment
        }
        long a = address(i);
        if (((a << 16) >> 16) != a) {
            throw nonCanonical(i, a, i.base == 4 || i.base == 5);
        }
        return a;
    }

    /** The effective address of the memory operand, unchecked (LEA's result). */
    final long address(Insn i) {
        long a = i.disp;
        if (i.base >= 0) {
            a += gpr[i.base];
        }
        if (i.index >= 0) {
            a += gpr[i.index] << i.scale;
        }
        if (i.addr32) {
            a &= 0xffffffffL;
        }
        if (i.seg != 0) {
            a += i.seg == 1 ? s.fsBase : s.gsBase;
        }
        return a;
    }

    /** The #GP of a 16-byte SSE memory operand that must be aligned and is not. */
    public static GuestFault misaligned(Insn i, long a) {
        return GuestFault.gp("misaligned 16-byte SSE operand at 0x" + Long.toHexString(a) + " (rip 0x"
                + Long.toHexString(i.rip) + ")");
    }

    /** Bits 63..47 of a linear address must be equal: otherwise #SS for stack references, #GP else. */
    public static GuestFault nonCanonical(Insn i, long a, boolean stack) {
        String what = "non-canonical " + (stack ? "stack " : "") + "address 0x" + Long.toHexString(a)
                + " at rip 0x" + Long.toHexString(i.rip);
        return stack ? new GuestFault(CpuExit.Fault.SS, what) : GuestFault.gp(what);
    }

    /** A stack address (RSP or RBP implied), checked for canonical form. */
    final long stack(Insn i, long a) {
        if (((a << 16) >> 16) != a) {
            throw nonCanonical(i, a, true);
        }
        return a;
    }

    /** A branch target, which must be canonical: otherwise #GP at the branch. */
    final long target(Insn i, long t) {
        if (((t << 16) >> 16) != t) {
            throw nonCanonical(i, t, false);
        }
        return t;
    }

    final long load(long a, int size) {
        return switch (size) {
            case 1 -> mem.read8(a) & 0xffL;
            case 2 -> mem.read16(a) & 0xffffL;
            case 4 -> mem.read32(a) & 0xffffffffL;
            default -> mem.read64(a);
        };
    }

    /**
     * Before a store of {@code len} bytes made of several writes: when it spans two pages, checks both
     * (lower first, as the hardware reports it) so that a fault writes nothing. Within one page the
     * first write faults before any other can commit.
     */
    public final void storable(long a, int len) {
        long last = a + len - 1;
        long page = a & -CpuMemory.PAGE_SIZE;
        if (page == (last & -CpuMemory.PAGE_SIZE)) {
            return;
        }
        mem.probeWrite(a);
        for (long p = page + CpuMemory.PAGE_SIZE; p <= last; p += CpuMemory.PAGE_SIZE) {
            mem.probeWrite(p);
        }
    }

    final void store(long a, int size, long v) {
        switch (size) {
            case 1 -> mem.write8(a, (int) v);
            case 2 -> mem.write16(a, (int) v);
            case 4 -> mem.write32(a, (int) v);
            default -> mem.write64(a, v);
        }
    }

    final long readRm(Insn i, int size) {
        return i.rm >= 0 ? reg(i.rm, size) : load(ea(i), size);
    }

    final void push(Insn i, int size, long v) {
        long sp = stack(i, gpr[4] - size);
        store(sp, size, v);
        gpr[4] = sp;
    }

    final boolean cond(int cc) {
        return Alu.holds(s.rflags, cc);
    }
}
