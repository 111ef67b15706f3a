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
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.sys.CpuidModel;

/**
 * Executes decoded instructions. Every handler reads all its inputs, then performs its (single) memory
 * write, and only then updates registers and flags: a {@link MemoryFault} thrown by the write leaves
 * the architectural state as it was before the instruction.
 */
public final class Interp extends Operands {

    private static final CpuExit.Syscall SYSCALL_EXIT = new CpuExit.Syscall();

    /** RFLAGS bits POPF may change in user mode. */
    private static final long POPF_MASK = CF | PF | AF | ZF | SF | DF | OF | (1L << 18) | (1L << 21);

    private final CpuidModel cpuid;
    private final StringOps strings;
    private final Sse sse;
    private final X87 x87;
    private final Mmx mmx;
    private final int[] cpuidOut = new int[4];
    /** Instructions a translated block retired before the instruction that faulted (set by its handler). */
    public int partial;
    /**
     * The translation that returned to the dispatcher through one of its chaining exits, and which ({@link
     * CompiledBlock#chain}); null when the last translation ended otherwise. Set by translated code, read by the
     * dispatcher.
     */
    public CompiledBlock exitFrom;
    public int exitSlot;
    /** Translations running nested in chained calls now (bounded, so the dispatcher runs again soon). */
    public int chainDepth;
    /**
     * Instructions the translations that called the running one retired before their chained calls (what a fault in
     * it adds to {@link #partial}, the frames between unwinding without handlers of their own).
     */
    public int chainedDone;
    /** Translations run from another one's exit so far (the CPU's statistics report it). */
    public long chained;
    /** Locked read-modify-writes (set by {@link Cpu}). */
    public LockedOps locked;
    /** The system instructions of a {@link Cpu#system} CPU; null in user mode. */
    public SystemOps sys;
    /** The legacy-mode instructions of a system CPU; null in user mode. */
    public LegacyOps legacy;

    public Interp(CpuState s, CpuMemory mem, CpuidModel cpuid) {
        super(s, mem);
        this.cpuid = cpuid;
        this.strings = new StringOps(this);
        this.x87 = new X87(this);
        this.sse = new Sse(this, x87);
        this.mmx = new Mmx(this, x87);
    }

    public int takePartial() {
        int p = partial;
        partial = 0;
        return p;
    }

    /**
     * Translated code's (U)COMISS/(U)COMISD, its source operand {@code b} read: the arithmetic flags the comparison
     * sets, MXCSR updated as the interpreter does it (a {@link dev.corral.engine.cpu.state.GuestFault} for an unmasked
     * exception). The state's flags are left to the caller.
     */
    public long compare(Insn i, long b) {
        return sse.compare(i, b);
    }

    /**
     * Translated code's SHLD/SHRD: {@code a} shifted by {@code count} with {@code b}'s bits coming in, as the
     * interpreter computes it from the state's flags (exact before the call); the flags it leaves are
     * {@link #shiftedFlags()}, for the caller to write once the result is stored.
     */
    public long shiftDouble(boolean left, int size, long a, long b, int count) {
        return alu.doubleShift(left, size, a, b, count);
    }

    /** The x87 control word (FNSTCW's operand: translated code stores it itself). */
    public int x87ControlWord() {
        return x87.fcw;
    }

    /** The flags the last {@link #shiftDouble} left. */
    public long shiftedFlags() {
        return alu.f;
    }

    /** A vCPU gives its host thread up once per this many PAUSEs ({@link #pause}). */
    static final int PAUSES_PER_YIELD = 64;
    private int pauses;
    private long pauseYields;

    /**
     * PAUSE, a spin-wait loop's hint: architecturally a NOP; every {@value #PAUSES_PER_YIELD}th one this vCPU runs
     * yields its host thread, as a hardware CPU's pause-loop exiting lets the hypervisor run another vCPU. A guest
     * spinning on a lock whose holder's vCPU thread the host preempted (more runnable threads than host cores: vCPUs,
     * the JIT) thus lets that vCPU go on, instead of spinning out its time slice.
     */
    private void pause() {
        if (++pauses == PAUSES_PER_YIELD) {
            pauses = 0;
            pauseYields++;
            Thread.yield();
        }
    }

    /** Times PAUSE gave the host thread up ({@link #pause}). */
    public long pauseYields() {
        return pauseYields;
    }

    /** Executes one instruction; returns {@link #NEXT}, {@link #JUMPED} or {@link #EXIT}. */
    public int exec(Insn i) {
        switch (i.op) {
            case Op.NOP -> { }
            case Op.PAUSE -> pause();
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
                setExit(SYSCALL_EXIT);
                return EXIT;
            }
            case Op.INT3 -> {
                s.rip = i.next;
                setExit(new CpuExit.Fault(CpuExit.Fault.BP, 0, 0, "int3 at rip 0x" + Long.toHexString(i.rip)));
                return EXIT;
            }
            case Op.HLT -> {
                s.rip = i.next;
                setExit(HALT_EXIT);
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
                return IntOps.exec(this, locked, i);
            }
        }
        return NEXT;
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
