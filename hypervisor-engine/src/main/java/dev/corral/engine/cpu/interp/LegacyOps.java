package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;
import static dev.corral.engine.cpu.state.CpuState.PF;
import static dev.corral.engine.cpu.state.CpuState.SF;
import static dev.corral.engine.cpu.state.CpuState.ZF;
import static dev.corral.engine.cpu.decode.LegacyOp.*;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.sys.Delivery;
import dev.corral.engine.cpu.sys.PagedMemory;
import dev.corral.engine.cpu.sys.Segments;

/**
 * Executes {@link Op#LEGACY} instructions ({@link LegacyDecoder} decodes them): the stack through SS with SP or
 * ESP (SS.B), near branches that wrap the instruction pointer to the operand size and check the CS limit,
 * segment register loads, BCD arithmetic, descriptor-table and control-register instructions with their 16/32-bit
 * operands. Far transfers are {@link FarOps}'s, string instructions {@link LegacyStrings}'s.
 *
 * <p>Like {@link Interp}, every handler reads and checks everything before it commits: a fault leaves the state
 * of before the instruction. Flags the manual leaves undefined after DAA, DAS, AAA, AAS, AAM and AAD are left
 * as they were (OF), or computed from AL (SF, ZF, PF after AAA and AAS).
 */
public final class LegacyOps {

    private final Operands x;
    private final CpuState s;
    private final long[] g;
    private final Segments seg;
    private final SystemOps sys;
    private final PagedMemory mem;
    private final Delivery delivery;
    private final FarOps far;
    private final LegacyStrings strings;

    public LegacyOps(Operands x, Segments seg, SystemOps sys, PagedMemory mem, Delivery delivery) {
        this.x = x;
        this.s = x.s;
        this.g = x.gpr;
        this.seg = seg;
        this.sys = sys;
        this.mem = mem;
        this.delivery = delivery;
        this.far = new FarOps(x, this, seg, sys, mem);
        this.strings = new LegacyStrings(x, seg);
    }

    int exec(Insn i) {
        switch (i.sub) {
            case PUSH_RM -> push(i.size, x.readRm(i, i.size));
            case PUSH_I -> push(i.size, i.imm);
            case POP_RM -> popRm(i);
            case PUSH_SREG -> push(i.size, seg.selector((int) i.imm));
            case POP_SREG -> {
                long sel = peek(0, i.size);
                seg.loadData((int) i.imm, (int) sel & 0xffff);
                release(i.size);
                if (i.imm == Segments.SS) {
                    return shadowed(i);
                }
            }
            case PUSHA -> {
                int n = i.size;
                long[] v = {g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]}; // SP as it was before the first push
                pushAll(n, v, 8);
            }
            case POPA -> {
                int n = i.size;
                long[] v = new long[8];
                for (int k = 0; k < 8; k++) {
                    v[k] = peek((long) k * n, n);
                }
                for (int r = 7, k = 0; r >= 0; r--, k++) {
                    if (r != CpuState.RSP) {
                        x.setReg(r, n, v[k]);
                    }
                }
                release(8L * n);
            }
            case PUSHF -> push(i.size, s.rflags & 0xfcffffL); // VM and RF read as 0
            case POPF -> {
                long v = peek(0, i.size);
                long m = sys.popfMask();
                if (i.size == 2) {
                    m &= 0xffff;
                }
                release(i.size);
                s.rflags = (s.rflags & ~m) | (v & m) | 2;
            }
            case JMP -> {
                return jump(i.imm);
            }
            case JCC -> {
                if (x.cond(i.reg)) {
                    return jump(i.imm);
                }
            }
            case LOOP -> {
                long c = (count(i) - 1) & countMask(i);
                boolean take = c != 0 && switch (i.reg) {
                    case 0 -> (s.rflags & ZF) == 0;
                    case 1 -> (s.rflags & ZF) != 0;
                    default -> true;
                };
                if (take) {
                    checkIp(i.imm);
                }
                x.setReg(CpuState.RCX, i.addr16 ? 2 : 4, c);
                if (take) {
                    s.rip = i.imm;
                    return Operands.JUMPED;
                }
            }
            case JCXZ -> {
                if (count(i) == 0) {
                    return jump(i.imm);
                }
            }
            case CALL -> {
                checkIp(i.imm);
                push(i.size, i.next);
                s.rip = i.imm;
                return Operands.JUMPED;
            }
            case CALL_RM -> {
                long t = x.readRm(i, i.size);
                checkIp(t);
                push(i.size, i.next);
                s.rip = t;
                return Operands.JUMPED;
            }
            case JMP_RM -> {
                return jump(x.readRm(i, i.size));
            }
            case RET -> {
                long t = peek(0, i.size);
                checkIp(t);
                release(i.size + i.imm);
                s.rip = t;
                return Operands.JUMPED;
            }
            case ENTER -> enter(i);
            case LEAVE -> {
                long bp = g[CpuState.RBP] & seg.stackMask();
                long v = x.load(seg.linear(Segments.SS, bp, i.size), i.size);
                seg.setSp(bp + i.size);
                x.setReg(CpuState.RBP, i.size, v);
            }
            case LEA -> x.setReg(i.reg, i.size, Addressing.offset(s, i));
            case MOV_SREG -> {
                seg.loadData((int) i.imm, (int) x.readRm(i, 2));
                if (i.imm == Segments.SS) {
                    return shadowed(i);
                }
            }
            case LOAD_FAR -> {
                long off = Addressing.offset(s, i);
                long v = x.load(seg.linear(i.sreg, off, i.size), i.size);
                int sel = (int) x.load(seg.linear(i.sreg, (off + i.size) & offsetMask(i), 2), 2);
                seg.loadData((int) i.imm, sel);
                x.setReg(i.reg, i.size, v);
            }
            case DAA, DAS -> decimalAdjust(i.sub == DAS);
            case AAA, AAS -> asciiAdjust(i.sub == AAS);
            case AAM -> {
                int al = (int) g[0] & 0xff;
                if (i.imm == 0) {
                    throw GuestFault.de("AAM with a zero base at rip 0x" + Long.toHexString(i.rip));
                }
                int r = al % (int) i.imm;
                x.setReg(CpuState.RAX, 2, ((long) (al / (int) i.imm) << 8) | r);
                szp(r);
            }
            case AAD -> {
                int r = (int) ((g[0] & 0xff) + ((g[0] >>> 8) & 0xff) * i.imm) & 0xff;
                x.setReg(CpuState.RAX, 2, r);
                szp(r);
            }
            case ARPL -> {
                long a = i.rm >= 0 ? 0 : x.ea(i);
                long dst = i.rm >= 0 ? x.reg(i.rm, 2) : x.load(a, 2);
                long src = x.reg(i.reg, 2);
                if ((dst & 3) < (src & 3)) {
                    long v = (dst & ~3L) | (src & 3);
                    if (i.rm >= 0) {
                        x.setReg(i.rm, 2, v);
                    } else {
                        x.store(a, 2, v);
                    }
                    s.rflags |= ZF;
                } else {
                    s.rflags &= ~ZF;
                }
            }
            case XLAT -> {
                long off = (g[CpuState.RBX] + (g[0] & 0xff)) & offsetMask(i);
                x.setReg(CpuState.RAX, 1, x.load(seg.linear(i.sreg, off, 1), 1));
            }
            case INT -> {
                return delivered(delivery.deliver((int) i.imm, Delivery.SOFTWARE, 0, i.next, i.rip));
            }
            case INTO -> {
                if ((s.rflags & OF) != 0) {
                    return delivered(delivery.deliver(CpuExit.Fault.OF, Delivery.SOFTWARE, 0, i.next, i.rip));
                }
            }
            case IRET -> {
                return far.iret(i);
            }
            case RETF -> {
                return far.retf(i);
            }
            case JMP_FAR, CALL_FAR -> {
                return far.direct(i, i.sub == CALL_FAR, (int) i.imm2, i.imm);
            }
            case JMP_FAR_M, CALL_FAR_M -> {
                return far.indirect(i, i.sub == CALL_FAR_M);
            }
            case STRING -> {
                return strings.exec(i);
            }
            case LGDT, LIDT -> {
                privileged(i);
                long off = Addressing.offset(s, i);
                int limit = (int) x.load(seg.linear(i.sreg, off, 2), 2);
                long base = x.load(seg.linear(i.sreg, (off + 2) & offsetMask(i), 4), 4);
                if (i.size == 2) {
                    base &= 0xffffff; // a 16-bit operand loads a 24-bit base
                }
                if (i.sub == LGDT) {
                    s.gdtBase = base;
                    s.gdtLimit = limit;
                } else {
                    s.idtBase = base;
                    s.idtLimit = limit;
                }
            }
            case SGDT, SIDT -> {
                privileged(i); // as in 64-bit mode: UMIP is not advertised, but a kernel-only answer is the safe one
                long off = Addressing.offset(s, i);
                long a = seg.linear(i.sreg, off, 2);
                long b = seg.linear(i.sreg, (off + 2) & offsetMask(i), 4);
                mem.probeWrite(a);
                mem.probeWrite(a + 1);
                mem.probeWrite(b);
                mem.probeWrite(b + 3);
                x.store(a, 2, i.sub == SGDT ? s.gdtLimit : s.idtLimit);
                x.store(b, 4, i.sub == SGDT ? s.gdtBase : s.idtBase);
            }
            case MOV_TO_CR -> {
                privileged(i);
                long v = g[i.rm] & 0xffffffffL; // a 32-bit register: the upper half of a control register is cleared
                switch (i.reg) {
                    case 0 -> sys.writeCr0(v);
                    case 2 -> s.cr2 = v;
                    case 3 -> {
                        s.cr3 = v;
                        mem.flush();
                    }
                    default -> sys.writeCr4(v);
                }
            }
            case MOV_FROM_CR -> {
                privileged(i);
                long v = switch (i.reg) {
                    case 0 -> s.cr0;
                    case 2 -> s.cr2;
                    case 3 -> s.cr3;
                    default -> s.cr4;
                };
                x.setReg(i.rm, 4, v);
            }
            case MOV_TO_DR -> {
                privileged(i);
                s.dr[i.reg] = g[i.rm] & 0xffffffffL; // kept for reading back; no breakpoint ever fires
            }
            case MOV_FROM_DR -> {
                privileged(i);
                x.setReg(i.rm, 4, s.dr[i.reg]);
            }
            case LLDT -> {
                privileged(i);
                seg.lldt((int) x.readRm(i, 2));
            }
            case LTR -> {
                privileged(i);
                int sel = (int) x.readRm(i, 2) & 0xffff;
                if (seg.longMode()) {
                    sys.ltr(sel); // compatibility mode: a 64-bit TSS, as in 64-bit mode
                } else {
                    ltr(sel);
                }
            }
            case INVLPG -> {
                privileged(i);
                mem.invalidate((seg.base(i.sreg) + Addressing.offset(s, i)) & 0xffffffffL);
            }
            default -> throw GuestFault.ud("legacy-mode instruction " + i.sub + " at rip 0x" + Long.toHexString(i.rip));
        }
        return Operands.NEXT;
    }

    private int delivered(CpuExit.Shutdown shutdown) {
        if (shutdown != null) {
            x.setExit(shutdown);
            return Operands.EXIT;
        }
        return Operands.JUMPED;
    }

    /** MOV SS and POP SS: interrupts are held off until the next instruction has run. */
    private int shadowed(Insn i) {
        s.interruptShadow = true;
        s.rip = i.next;
        return Operands.JUMPED;
    }

    void privileged(Insn i) {
        if (s.cpl != 0) {
            throw GuestFault.gp("privileged instruction at CPL " + s.cpl + " at rip 0x" + Long.toHexString(i.rip));
        }
    }

    private static long offsetMask(Insn i) {
        return i.addr16 ? 0xffff : 0xffffffffL;
    }

    private long countMask(Insn i) {
        return offsetMask(i);
    }

    /** CX or ECX, as the address size says. */
    private long count(Insn i) {
        return g[CpuState.RCX] & countMask(i);
    }

    /** A near branch target must lie within CS's limit: #GP(0) at the branch otherwise. */
    void checkIp(long target) {
        if (target > s.segLimit[Segments.CS]) {
            throw new GuestFault(CpuExit.Fault.GP, 0, "branch target 0x" + Long.toHexString(target)
                    + " is beyond the code segment's limit 0x" + Long.toHexString(s.segLimit[Segments.CS]));
        }
    }

    private int jump(long target) {
        checkIp(target);
        s.rip = target;
        return Operands.JUMPED;
    }

    // ---- the stack ----

    void push(int size, long v) {
        long sp = (seg.sp() - size) & seg.stackMask();
        x.store(seg.linear(Segments.SS, sp, size), size, v);
        seg.setSp(sp);
    }

    /**
     * Pushes {@code n} values in order (the first at the highest address), all checked before any is written, so
     * that a fault on any slot leaves memory and SP as they were.
     */
    void pushAll(int size, long[] values, int n) {
        long mask = seg.stackMask();
        long sp = seg.sp();
        long[] at = new long[n];
        for (int k = 0; k < n; k++) {
            sp = (sp - size) & mask;
            at[k] = seg.linear(Segments.SS, sp, size);
        }
        for (int k = 0; k < n; k++) {
            mem.probeWrite(at[k]);
            mem.probeWrite(at[k] + size - 1);
        }
        for (int k = 0; k < n; k++) {
            x.store(at[k], size, values[k]);
        }
        seg.setSp(sp);
    }

    /** The {@code size}-byte value at SS:(E)SP + {@code depth}, without popping it. */
    long peek(long depth, int size) {
        long sp = (seg.sp() + depth) & seg.stackMask();
        return x.load(seg.linear(Segments.SS, sp, size), size);
    }

    void release(long bytes) {
        seg.setSp(seg.sp() + bytes);
    }

    private void popRm(Insn i) {
        long v = peek(0, i.size);
        long old = g[CpuState.RSP];
        release(i.size);
        if (i.rm >= 0) {
            x.setReg(i.rm, i.size, v); // POP SP: the popped value wins over the increment
            return;
        }
        try {
            x.store(x.ea(i), i.size, v); // the address of a memory destination uses the incremented SP
        } catch (MemoryFault | GuestFault f) {
            g[CpuState.RSP] = old;
            throw f;
        }
    }

    private void enter(Insn i) {
        int n = i.size;
        int level = (int) i.imm2;
        long oldSp = g[CpuState.RSP];
        long oldBp = g[CpuState.RBP];
        long mask = seg.stackMask();
        try {
            push(n, g[CpuState.RBP]);
            long frame = seg.sp();
            long bp = g[CpuState.RBP] & mask;
            for (int k = 1; k < level; k++) {
                bp = (bp - n) & mask;
                push(n, x.load(seg.linear(Segments.SS, bp, n), n));
            }
            if (level > 0) {
                push(n, frame);
            }
            long sp = (seg.sp() - i.imm) & mask;
            seg.check(Segments.SS, sp, 1); // the new top of the frame must lie within the stack segment
            x.setReg(CpuState.RBP, n, frame);
            seg.setSp(sp);
        } catch (MemoryFault | GuestFault f) {
            g[CpuState.RSP] = oldSp;
            g[CpuState.RBP] = oldBp;
            throw f;
        }
    }

    // ---- BCD ----

    private void decimalAdjust(boolean subtract) {
        int al = (int) g[0] & 0xff;
        boolean cf = (s.rflags & CF) != 0;
        boolean af = (s.rflags & AF) != 0;
        int r = al;
        boolean newCf = false;
        boolean newAf = false;
        if ((al & 0xf) > 9 || af) {
            r = subtract ? r - 6 : r + 6;
            newCf = cf || (subtract ? al < 6 : r > 0xff);
            newAf = true;
            r &= 0xff;
        }
        if (al > 0x99 || cf) {
            r = (subtract ? r - 0x60 : r + 0x60) & 0xff;
            newCf = true;
        }
        x.setReg(CpuState.RAX, 1, r);
        szp(r);
        s.rflags = (s.rflags & ~(CF | AF)) | (newCf ? CF : 0) | (newAf ? AF : 0);
    }

    private void asciiAdjust(boolean subtract) {
        long ax = g[0] & 0xffff;
        boolean adjust = (ax & 0xf) > 9 || (s.rflags & AF) != 0;
        if (adjust) {
            ax = subtract ? ax - 6 - 0x100 : ax + 0x106;
        }
        ax = (ax & 0xff00) | (ax & 0x0f);
        x.setReg(CpuState.RAX, 2, ax);
        szp((int) ax & 0xff);
        s.rflags = (s.rflags & ~(CF | AF)) | (adjust ? CF | AF : 0);
    }

    /** SF, ZF and PF of a byte result. */
    private void szp(int r) {
        long f = s.rflags & ~(SF | ZF | PF);
        if ((r & 0x80) != 0) {
            f |= SF;
        }
        if (r == 0) {
            f |= ZF;
        }
        if ((Integer.bitCount(r & 0xff) & 1) == 0) {
            f |= PF;
        }
        s.rflags = f;
    }

    /** LTR outside long mode: an available 16-bit (type 1) or 32-bit (type 9) TSS in the GDT, marked busy. */
    private void ltr(int sel) {
        if ((sel & 0xfffc) == 0 || (sel & 4) != 0) {
            throw new GuestFault(CpuExit.Fault.GP, sel & 0xfffc, "LTR of selector 0x" + Integer.toHexString(sel)
                    + ": null or in the LDT");
        }
        long d = seg.descriptor(sel);
        int type = (int) (d >>> 40) & 0x1f;
        if (type != 1 && type != 9) {
            throw new GuestFault(CpuExit.Fault.GP, sel & 0xfffc, "LTR of selector 0x" + Integer.toHexString(sel)
                    + ", not an available TSS");
        }
        if (!Segments.present(d)) {
            throw new GuestFault(CpuExit.Fault.NP, sel & 0xfffc, "TSS 0x" + Integer.toHexString(sel) + " is not present");
        }
        boolean wasUser = mem.user();
        mem.setUser(false);
        try {
            mem.write8(seg.descriptorAddress(sel) + 5, (int) (d >>> 40) | 2); // busy
        } finally {
            mem.setUser(wasUser);
        }
        s.tr = sel;
        s.trBase = Segments.descBase(d);
        s.trLimit = (int) Math.min(Segments.descLimit(d), Integer.MAX_VALUE);
        s.trAttr = Segments.descAttr(d) | 2;
    }
}
