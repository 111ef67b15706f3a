package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuExit.Fault.GP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.NP;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;
import dev.corral.engine.cpu.sys.PagedMemory;
import dev.corral.engine.cpu.sys.Segments;

/**
 * Far JMP, CALL and RET, and IRET outside 64-bit mode; far JMP and CALL through a memory pointer in 64-bit mode too
 * (64-bit RETF and IRETQ are {@link SystemOps}'s). Real mode loads CS as selector &lt;&lt; 4; protected and
 * compatibility mode load a code segment descriptor with the manual's checks (null #GP(0), not code or wrong
 * privilege #GP(selector), not present #NP(selector), target beyond the limit #GP(0)). A far JMP or CALL can go
 * from protected or compatibility mode to a 64-bit code segment under long mode and back.
 *
 * <p>Gaps, each a #GP with a sentence: call gates, task gates and TSS selectors as far targets (no task switch,
 * no call through a gate), IRET with NT set (a task return) and IRET to virtual-8086 mode. RETF and IRET to an
 * outer privilege level are implemented (SS:ESP popped and checked, data segments the outer level may not
 * use nulled).
 */
final class FarOps {

    private static final long L_BIT = 1L << 53, D_BIT = 1L << 54;

    private final Operands x;
    private final LegacyOps ops;
    private final Segments seg;
    private final SystemOps sys;
    private final PagedMemory mem;
    private final CpuState s;

    FarOps(Operands x, LegacyOps ops, Segments seg, SystemOps sys, PagedMemory mem) {
        this.x = x;
        this.ops = ops;
        this.seg = seg;
        this.sys = sys;
        this.mem = mem;
        this.s = x.s;
    }

    /** JMP/CALL ptr16:16 or ptr16:32. */
    int direct(Insn i, boolean call, int sel, long offset) {
        return transfer(i, call, sel, offset, i.size);
    }

    /** JMP/CALL m16:16, m16:32 or m16:64: the offset first, then the selector. */
    int indirect(Insn i, boolean call) {
        int n = i.size;
        long offAddr;
        long selAddr;
        if (i.sreg >= 0) {
            long off = Addressing.offset(s, i);
            offAddr = seg.linear(i.sreg, off, n);
            selAddr = seg.linear(i.sreg, (off + n) & (i.addr16 ? 0xffff : 0xffffffffL), 2);
        } else {
            offAddr = x.ea(i);
            selAddr = offAddr + n;
        }
        long offset = x.load(offAddr, n);
        int sel = (int) x.load(selAddr, 2);
        return transfer(i, call, sel, offset, n);
    }

    private int transfer(Insn i, boolean call, int sel, long offset, int n) {
        if (n == 2) {
            offset &= 0xffff;
        } else if (n == 4) {
            offset &= 0xffffffffL;
        }
        if (seg.realMode()) {
            if (offset > s.segLimit[Segments.CS]) {
                throw beyondLimit(offset, s.segLimit[Segments.CS]);
            }
            if (call) {
                ops.pushAll(n, new long[] {s.cs, i.next}, 2);
            }
            seg.loadReal(Segments.CS, sel);
            s.rip = offset;
            return Operands.JUMPED;
        }
        long d = codeTarget(sel);
        if (seg.longMode() && (d & L_BIT) != 0) {
            if (((offset << 16) >> 16) != offset) {
                throw new GuestFault(GP, 0, "far branch to non-canonical 0x" + Long.toHexString(offset));
            }
        } else if (offset > Segments.descLimit(d)) {
            throw beyondLimit(offset, Segments.descLimit(d));
        }
        if (call) {
            if (s.codeSize == 8) {
                long rsp = s.gpr[CpuState.RSP];
                try {
                    x.push(i, n, s.cs);
                    x.push(i, n, i.next);
                } catch (MemoryFault | GuestFault f) {
                    s.gpr[CpuState.RSP] = rsp;
                    throw f;
                }
            } else {
                ops.pushAll(n, new long[] {s.cs, i.next}, 2);
            }
        }
        seg.load(Segments.CS, (sel & 0xfffc) | s.cpl, seg.markAccessed(sel, d));
        s.rip = offset;
        return Operands.JUMPED;
    }

    private static GuestFault beyondLimit(long offset, long limit) {
        return new GuestFault(GP, 0, "far branch to 0x" + Long.toHexString(offset) + ", beyond the code segment's limit 0x"
                + Long.toHexString(limit));
    }

    /** The code segment a far JMP or CALL names, checked as the manual says for a direct (non-gate) transfer. */
    private long codeTarget(int sel) {
        int err = sel & 0xfffc;
        if (err == 0) {
            throw new GuestFault(GP, 0, "far branch to the null selector");
        }
        long d = seg.descriptor(sel);
        if (!Segments.isCode(d)) {
            boolean system = (d & (1L << 44)) == 0;
            throw new GuestFault(GP, err, "far branch to selector 0x" + Integer.toHexString(sel) + (system
                    ? ", a system descriptor: call gates, task gates and task switches are not supported"
                    : ", not a code segment"));
        }
        boolean conforming = (d & (1L << 42)) != 0;
        int dpl = Segments.dpl(d);
        if (seg.longMode() && (d & L_BIT) != 0 && (d & D_BIT) != 0) {
            throw new GuestFault(GP, err, "code segment 0x" + Integer.toHexString(sel) + " sets both L and D");
        }
        if (conforming ? dpl > s.cpl : ((sel & 3) > s.cpl || dpl != s.cpl)) {
            throw new GuestFault(GP, err, "far branch from CPL " + s.cpl + " to code segment 0x" + Integer.toHexString(sel)
                    + " of DPL " + dpl);
        }
        if (!Segments.present(d)) {
            throw new GuestFault(NP, err, "code segment 0x" + Integer.toHexString(sel) + " is not present");
        }
        return d;
    }

    /** The code segment a RETF or IRET returns to: at the selector's RPL, not more privileged than CPL. */
    private long returnTarget(int cs) {
        int err = cs & 0xfffc;
        if (err == 0) {
            throw new GuestFault(GP, 0, "return to the null selector");
        }
        long d = seg.descriptor(cs);
        int rpl = cs & 3;
        int dpl = Segments.dpl(d);
        boolean conforming = (d & (1L << 42)) != 0;
        if (!Segments.isCode(d) || rpl < s.cpl || (conforming ? dpl > rpl : dpl != rpl)
                || (seg.longMode() && (d & L_BIT) != 0 && (d & D_BIT) != 0)) {
            throw new GuestFault(GP, err, "return from CPL " + s.cpl + " to CS 0x" + Integer.toHexString(cs)
                    + ", not a code segment of that privilege");
        }
        if (!Segments.present(d)) {
            throw new GuestFault(NP, err, "return to code segment 0x" + Integer.toHexString(cs) + ", not present");
        }
        return d;
    }

    /** The stack segment of a return to an outer level: a present writable data segment at that level. */
    private long outerStack(int ss, int rpl) {
        int err = ss & 0xfffc;
        if (err == 0) {
            throw new GuestFault(GP, 0, "return to CPL " + rpl + " with a null SS");
        }
        long d = seg.descriptor(ss);
        if ((ss & 3) != rpl || !Segments.isData(d) || (d & (1L << 41)) == 0 || Segments.dpl(d) != rpl) {
            throw new GuestFault(GP, err, "return with SS 0x" + Integer.toHexString(ss) + ", not a writable data segment at CPL "
                    + rpl);
        }
        if (!Segments.present(d)) {
            throw new GuestFault(CpuExit.Fault.SS, err, "return with SS 0x" + Integer.toHexString(ss) + ", not present");
        }
        return d;
    }

    private void checkReturnIp(long eip, long d) {
        if (!(seg.longMode() && (d & L_BIT) != 0) && eip > Segments.descLimit(d)) {
            throw new GuestFault(GP, 0, "return to 0x" + Long.toHexString(eip) + ", beyond the code segment's limit 0x"
                    + Long.toHexString(Segments.descLimit(d)));
        }
    }

    /** RETF outside 64-bit mode: to the same level, or to an outer one with SS:ESP from the stack. */
    int retf(Insn i) {
        int n = i.size;
        long mask = n == 2 ? 0xffff : 0xffffffffL;
        long eip = ops.peek(0, n) & mask;
        int cs = (int) ops.peek(n, n) & 0xffff;
        if (seg.realMode()) {
            if (eip > s.segLimit[Segments.CS]) {
                throw beyondLimit(eip, s.segLimit[Segments.CS]);
            }
            seg.loadReal(Segments.CS, cs);
            ops.release(2L * n + i.imm);
            s.rip = eip;
            return Operands.JUMPED;
        }
        long d = returnTarget(cs);
        checkReturnIp(eip, d);
        int rpl = cs & 3;
        if (rpl > s.cpl) {
            long esp = ops.peek(2L * n + i.imm, n);
            int ss = (int) ops.peek(3L * n + i.imm, n) & 0xffff;
            long ssd = outerStack(ss, rpl);
            toOuterLevel(cs, d, ss, ssd, esp + i.imm);
        } else {
            seg.load(Segments.CS, cs, seg.markAccessed(cs, d));
            ops.release(2L * n + i.imm);
        }
        s.rip = eip;
        return Operands.JUMPED;
    }

    private void toOuterLevel(int cs, long d, int ss, long ssd, long esp) {
        d = seg.markAccessed(cs, d);
        ssd = seg.markAccessed(ss, ssd);
        s.cpl = cs & 3;
        mem.setUser(s.cpl == 3);
        seg.load(Segments.CS, cs, d);
        seg.load(Segments.SS, ss, ssd);
        seg.setSp(esp);
        seg.dropPrivilegedDataSegments();
    }

    /**
     * IRET outside 64-bit mode. Real mode pops IP, CS and FLAGS; protected and compatibility mode return to the
     * same level or to an outer one (then SS:ESP too). IF changes only when CPL &lt;= IOPL, IOPL only at CPL 0.
     */
    int iret(Insn i) {
        int n = i.size;
        long mask = n == 2 ? 0xffff : 0xffffffffL;
        long always = CpuState.CF | CpuState.PF | CpuState.AF | CpuState.ZF | CpuState.SF | CpuState.DF | CpuState.OF
                | CpuState.NT | (n == 4 ? CpuState.AC | CpuState.ID : 0);
        if (seg.realMode()) {
            long eip = ops.peek(0, n) & mask;
            int cs = (int) ops.peek(n, n) & 0xffff;
            long flags = ops.peek(2L * n, n);
            if (eip > s.segLimit[Segments.CS]) {
                throw beyondLimit(eip, s.segLimit[Segments.CS]);
            }
            seg.loadReal(Segments.CS, cs);
            ops.release(3L * n);
            sys.setFlags(flags, always);
            s.rip = eip;
            return Operands.JUMPED;
        }
        if ((s.rflags & CpuState.NT) != 0) {
            throw new GuestFault(GP, 0, "IRET with NT set (a return to another task): task switches are not supported");
        }
        long eip = ops.peek(0, n) & mask;
        int cs = (int) ops.peek(n, n) & 0xffff;
        long flags = ops.peek(2L * n, n);
        if (n == 4 && (flags & CpuState.VM) != 0 && s.cpl == 0) {
            throw new GuestFault(GP, 0, "IRET to virtual-8086 mode is not supported");
        }
        long d = returnTarget(cs);
        checkReturnIp(eip, d);
        int rpl = cs & 3;
        if (rpl > s.cpl) {
            long esp = ops.peek(3L * n, n);
            int ss = (int) ops.peek(4L * n, n) & 0xffff;
            long ssd = outerStack(ss, rpl);
            sys.setFlags(flags, always); // with the privileges of the level IRET leaves
            toOuterLevel(cs, d, ss, ssd, esp);
        } else {
            seg.load(Segments.CS, cs, seg.markAccessed(cs, d));
            ops.release(3L * n);
            sys.setFlags(flags, always);
        }
        s.rip = eip;
        return Operands.JUMPED;
    }
}
