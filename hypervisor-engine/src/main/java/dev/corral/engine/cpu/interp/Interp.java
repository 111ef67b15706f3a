package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.DF;
import static dev.corral.engine.cpu.state.CpuState.OF;
import static dev.corral.engine.cpu.state.CpuState.PF;
import static dev.corral.engine.cpu.state.CpuState.SF;
import static dev.corral.engine.cpu.state.CpuState.ZF;

import java.lang.invoke.VarHandle;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.Segments;
import dev.corral.engine.cpu.sys.TimeStampCounter;

/**
 * Executes decoded instructions. Every handler reads all its inputs, then performs its (single) memory
 * write, and only then updates registers and flags: a {@link MemoryFault} thrown by the write leaves
 * the architectural state as it was before the instruction.
 */
public final class Interp {

    /** {@link #exec} results: go on with the next instruction, a control transfer set rip, or leave run. */
    public static final int NEXT = 0, JUMPED = 1, EXIT = 2;

    private static final CpuExit.Syscall SYSCALL_EXIT = new CpuExit.Syscall();
    public static final CpuExit.Halt HALT_EXIT = new CpuExit.Halt();

    /** RFLAGS bits POPF may change in user mode. */
    private static final long POPF_MASK = CF | PF | AF | ZF | SF | DF | OF | (1L << 18) | (1L << 21);

    public final CpuState s;
    public final long[] gpr;
    public final CpuMemory mem;
    final Alu alu;
    private final CpuidModel cpuid;
    private final StringOps strings;
    private final Sse sse;
    private final X87 x87;
    private final Mmx mmx;
    private final int[] cpuidOut = new int[4];
    private CpuExit exit;
    /** Instructions a translated block retired before the instruction that faulted (set by its handler). */
    public int partial;
    /** This vCPU's time stamp counter (set by {@link Cpu}). */
    public TimeStampCounter tsc;
    /** Locked read-modify-writes (set by {@link Cpu}). */
    public LockedOps locked;
    /** The system instructions of a {@link Cpu#system} CPU; null in user mode. */
    public SystemOps sys;
    /** Segmentation and the legacy-mode instructions of a system CPU; null in user mode. */
    public Segments seg;
    public LegacyOps legacy;

    public Interp(CpuState s, CpuMemory mem, CpuidModel cpuid) {
        this.s = s;
        this.gpr = s.gpr;
        this.mem = mem;
        this.cpuid = cpuid;
        this.alu = new Alu(s);
        this.strings = new StringOps(this);
        this.sse = new Sse(this);
        this.x87 = new X87(this);
        this.mmx = new Mmx(this, x87);
    }

    void setExit(CpuExit e) {
        exit = e;
    }

    /** The time stamp counter: the VM's invariant clock plus this vCPU's offset. */
    public long tsc() {
        return tsc.read();
    }

    void setTsc(long value) {
        tsc.write(value);
    }

    public int takePartial() {
        int p = partial;
        partial = 0;
        return p;
    }

    public CpuExit takeExit() {
        CpuExit e = exit;
        exit = null;
        return e;
    }

    // ---- operand access ----

    long reg(int r, int size) {
        return switch (size) {
            case 1 -> r >= 16 ? (gpr[r - 16] >>> 8) & 0xff : gpr[r] & 0xff;
            case 2 -> gpr[r] & 0xffff;
            case 4 -> gpr[r] & 0xffffffffL;
            default -> gpr[r];
        };
    }

    public void setReg(int r, int size, long v) {
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

    long ea(Insn i) {
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
    long address(Insn i) {
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

    /** Bits 63..47 of a linear address must be equal: otherwise #SS for stack references, #GP else. */
    public static GuestFault nonCanonical(Insn i, long a, boolean stack) {
        String what = "non-canonical " + (stack ? "stack " : "") + "address 0x" + Long.toHexString(a)
                + " at rip 0x" + Long.toHexString(i.rip);
        return stack ? new GuestFault(CpuExit.Fault.SS, what) : GuestFault.gp(what);
    }

    /** A stack address (RSP or RBP implied), checked for canonical form. */
    long stack(Insn i, long a) {
        if (((a << 16) >> 16) != a) {
            throw nonCanonical(i, a, true);
        }
        return a;
    }

    /** A branch target, which must be canonical: otherwise #GP at the branch. */
    long target(Insn i, long t) {
        if (((t << 16) >> 16) != t) {
            throw nonCanonical(i, t, false);
        }
        return t;
    }

    long load(long a, int size) {
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
    void storable(long a, int len) {
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

    void store(long a, int size, long v) {
        switch (size) {
            case 1 -> mem.write8(a, (int) v);
            case 2 -> mem.write16(a, (int) v);
            case 4 -> mem.write32(a, (int) v);
            default -> mem.write64(a, v);
        }
    }

    long readRm(Insn i, int size) {
        return i.rm >= 0 ? reg(i.rm, size) : load(ea(i), size);
    }

    void push(Insn i, int size, long v) {
        long sp = stack(i, gpr[4] - size);
        store(sp, size, v);
        gpr[4] = sp;
    }

    boolean cond(int cc) {
        return Alu.holds(s.rflags, cc);
    }

    /** Executes one instruction; returns {@link #NEXT}, {@link #JUMPED} or {@link #EXIT}. */
    public int exec(Insn i) {
        switch (i.op) {
            case Op.NOP -> { }
            case Op.MOV_RM_R -> {
                long v = reg(i.reg, i.size);
                if (i.rm >= 0) {
                    setReg(i.rm, i.size, v);
                } else {
                    store(ea(i), i.size, v);
                }
            }
            case Op.MOV_R_RM -> setReg(i.reg, i.size, readRm(i, i.size));
            case Op.MOV_RM_I -> {
                if (i.rm >= 0) {
                    setReg(i.rm, i.size, i.imm);
                } else {
                    store(ea(i), i.size, i.imm);
                }
            }
            case Op.MOVZX -> setReg(i.reg, i.size, readRm(i, i.size2));
            case Op.MOVSX -> setReg(i.reg, i.size, Alu.signExtend(readRm(i, i.size2), i.size2));
            case Op.LEA -> setReg(i.reg, i.size, address(i)); // no memory access: any value is fine
            case Op.ALU_RM_R -> aluRm(i, reg(i.reg, i.size));
            case Op.ALU_RM_I -> aluRm(i, i.imm);
            case Op.ALU_R_RM -> {
                long r = alu.alu(i.sub, i.size, reg(i.reg, i.size), readRm(i, i.size));
                if (i.sub != 7) {
                    setReg(i.reg, i.size, r);
                }
                s.rflags = alu.f;
            }
            case Op.TEST_RM_R -> {
                alu.logic(i.size, readRm(i, i.size) & reg(i.reg, i.size));
                s.rflags = alu.f;
            }
            case Op.TEST_RM_I -> {
                alu.logic(i.size, readRm(i, i.size) & i.imm);
                s.rflags = alu.f;
            }
            case Op.INC, Op.DEC, Op.NEG, Op.NOT, Op.SHIFT, Op.SHIFT_CL -> unary(i);
            case Op.JCC -> {
                if (cond(i.sub)) {
                    s.rip = i.imm;
                    return JUMPED;
                }
            }
            case Op.JMP -> {
                s.rip = i.imm;
                return JUMPED;
            }
            case Op.JMP_RM -> {
                s.rip = target(i, readRm(i, 8));
                return JUMPED;
            }
            case Op.CALL -> {
                push(i, 8, i.next);
                s.rip = i.imm;
                return JUMPED;
            }
            case Op.CALL_RM -> {
                long t = target(i, readRm(i, 8));
                push(i, 8, i.next);
                s.rip = t;
                return JUMPED;
            }
            case Op.RET -> {
                long sp = stack(i, gpr[4]);
                long t = target(i, mem.read64(sp));
                gpr[4] = sp + 8 + i.imm;
                s.rip = t;
                return JUMPED;
            }
            case Op.CMOV -> {
                long v = readRm(i, i.size); // the source is read (and may fault) even when false
                if (cond(i.sub)) {
                    setReg(i.reg, i.size, v);
                } else if (i.size == 4) {
                    gpr[i.reg] &= 0xffffffffL; // a 32-bit CMOV writes its destination either way
                }
            }
            case Op.SETCC -> {
                long v = cond(i.sub) ? 1 : 0;
                if (i.rm >= 0) {
                    setReg(i.rm, 1, v);
                } else {
                    store(ea(i), 1, v);
                }
            }
            case Op.JRCXZ -> {
                if ((i.addr32 ? gpr[1] & 0xffffffffL : gpr[1]) == 0) {
                    s.rip = i.imm;
                    return JUMPED;
                }
            }
            case Op.LOOP -> {
                long c = gpr[1] - 1;
                if (i.addr32) {
                    c &= 0xffffffffL;
                    gpr[1] = c;
                } else {
                    gpr[1] = c;
                }
                boolean take = c != 0 && switch (i.sub) {
                    case 0 -> (s.rflags & ZF) == 0;
                    case 1 -> (s.rflags & ZF) != 0;
                    default -> true;
                };
                if (take) {
                    s.rip = i.imm;
                    return JUMPED;
                }
            }
            case Op.PUSH_RM -> push(i, i.size, readRm(i, i.size));
            case Op.PUSH_I -> push(i, i.size, i.imm);
            case Op.POP_RM -> pop(i);
            case Op.PUSHF -> push(i, i.size, s.rflags & 0xfcffffL);
            case Op.POPF -> {
                long v = load(stack(i, gpr[4]), i.size);
                gpr[4] += i.size;
                long m = sys == null ? POPF_MASK : sys.popfMask();
                if (i.size == 2) {
                    m &= 0xffff;
                }
                s.rflags = (s.rflags & ~m) | (v & m);
            }
            case Op.LAHF -> setReg(16, 1, (s.rflags & (SF | ZF | AF | PF | CF)) | 2);
            case Op.SAHF -> {
                long m = SF | ZF | AF | PF | CF;
                s.rflags = (s.rflags & ~m) | (reg(16, 1) & m);
            }
            case Op.FLAGOP -> {
                switch (i.sub) {
                    case 0 -> s.rflags ^= CF;
                    case 1 -> s.rflags &= ~CF;
                    case 2 -> s.rflags |= CF;
                    case 3 -> s.rflags &= ~DF;
                    default -> s.rflags |= DF;
                }
            }
            case Op.CPUID -> {
                VarHandle.fullFence(); // CPUID serialises: earlier stores are globally visible before later loads
                cpuid.query((int) gpr[0], (int) gpr[1], cpuidOut);
                gpr[0] = cpuidOut[0] & 0xffffffffL;
                gpr[3] = cpuidOut[1] & 0xffffffffL;
                gpr[1] = cpuidOut[2] & 0xffffffffL;
                gpr[2] = cpuidOut[3] & 0xffffffffL;
            }
            case Op.RDTSC -> {
                long t = tsc();
                gpr[0] = t & 0xffffffffL;
                gpr[2] = t >>> 32;
            }
            case Op.SYSCALL -> {
                gpr[1] = i.next;
                gpr[11] = s.rflags;
                s.rip = i.next;
                exit = SYSCALL_EXIT;
                return EXIT;
            }
            case Op.INT3 -> {
                s.rip = i.next;
                exit = new CpuExit.Fault(CpuExit.Fault.BP, 0, 0, "int3 at rip 0x" + Long.toHexString(i.rip));
                return EXIT;
            }
            case Op.HLT -> {
                s.rip = i.next;
                exit = HALT_EXIT;
                return EXIT;
            }
            case Op.MOVS, Op.STOS, Op.LODS, Op.SCAS, Op.CMPS -> {
                return strings.exec(i);
            }
            case Op.SSE -> sse.exec(i);
            case Op.X87 -> x87.exec(i);
            case Op.MMX -> mmx.exec(i);
            case Op.SYS -> {
                return sys.exec(i);
            }
            case Op.LEGACY -> {
                return legacy.exec(i);
            }
            default -> {
                return IntOps.exec(this, i);
            }
        }
        return NEXT;
    }

    /** FXSAVE ({@code save}) or FXRSTOR of the x87 and SSE state at the 16-byte aligned operand. */
    void fxState(Insn i, boolean save) {
        long a = ea(i);
        if ((a & 15) != 0) {
            throw GuestFault.gp("FXSAVE/FXRSTOR area 0x" + Long.toHexString(a) + " is not 16-byte aligned (rip 0x"
                    + Long.toHexString(i.rip) + ")");
        }
        if (save) {
            storable(a, 416); // the bytes FXSAVE writes: all or nothing
            X87Environment.fxsave(x87, a);
            mem.write32(a + 24, s.mxcsr);
            mem.write32(a + 28, 0xffff);
            for (int k = 0; k < 32; k++) {
                mem.write64(a + 160 + 8L * k, s.xmm[k]);
            }
        } else {
            int m = mem.read32(a + 24);
            if ((m & ~0xffff) != 0) {
                throw GuestFault.gp("FXRSTOR with reserved MXCSR bits 0x" + Integer.toHexString(m) + " (rip 0x"
                        + Long.toHexString(i.rip) + ")");
            }
            long[] xmm = new long[32];
            for (int k = 0; k < 32; k++) {
                xmm[k] = mem.read64(a + 160 + 8L * k);
            }
            X87Environment.fxrstor(x87, a);
            s.mxcsr = m;
            System.arraycopy(xmm, 0, s.xmm, 0, 32);
        }
    }

    private void aluRm(Insn i, long b) {
        int size = i.size;
        if (i.rm >= 0) {
            long r = alu.alu(i.sub, size, reg(i.rm, size), b);
            if (i.sub != 7) {
                setReg(i.rm, size, r);
            }
        } else {
            long a = ea(i);
            long r = alu.alu(i.sub, size, load(a, size), b);
            if (i.sub != 7) {
                store(a, size, r);
            }
        }
        s.rflags = alu.f;
    }

    /** Read-modify-write on r/m: INC, DEC, NEG, NOT and the shift group. */
    private void unary(Insn i) {
        int size = i.size;
        long a = i.rm >= 0 ? 0 : ea(i);
        long v = i.rm >= 0 ? reg(i.rm, size) : load(a, size);
        alu.f = s.rflags;
        long r = switch (i.op) {
            case Op.INC -> alu.inc(size, v);
            case Op.DEC -> alu.dec(size, v);
            case Op.NEG -> alu.neg(size, v);
            case Op.NOT -> ~v;
            case Op.SHIFT -> alu.shift(i.sub, size, v, (int) i.imm);
            default -> alu.shift(i.sub, size, v, (int) gpr[1]);
        };
        if (i.rm >= 0) {
            setReg(i.rm, size, r);
        } else {
            store(a, size, r);
        }
        s.rflags = alu.f;
    }

    private void pop(Insn i) {
        int size = i.size;
        long sp = stack(i, gpr[4]);
        long v = load(sp, size);
        if (i.rm >= 0) {
            gpr[4] = sp + size;
            setReg(i.rm, size, v); // POP RSP: the popped value wins over the increment
        } else {
            gpr[4] = sp + size; // the address of a memory destination uses the incremented RSP
            try {
                store(ea(i), size, v);
            } catch (MemoryFault f) {
                gpr[4] = sp;
                throw f;
            }
        }
    }
}
