package dev.corral.engine.cpu.sys;

import static dev.corral.engine.cpu.state.CpuExit.Fault.GP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.NP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.TS;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;

/**
 * Interrupt and exception delivery outside long mode, for {@link Delivery} (which keeps the escalation to #DF and
 * to a triple fault for every mode). Real mode: the vector's CS:IP from the interrupt vector table at the IDTR
 * base, FLAGS, CS and IP pushed (16 bits, no error code), IF, TF and AC cleared. Protected mode: an 8-byte gate
 * of the IDT, a 16- or 32-bit interrupt or trap gate, to a code segment at or above CPL; to a more privileged
 * level the stack is switched to SSn:ESPn from the 16- or 32-bit TSS and the old SS:ESP pushed first; then
 * EFLAGS, CS, EIP and the error code, as wide as the gate.
 *
 * <p>Gaps: task gates (and so a task switch on #DF) are #GP(vector) here; interrupts from virtual-8086 mode
 * cannot happen, since EFLAGS.VM is never set.
 */
public final class LegacyDelivery {

    private final CpuState s;
    private final PagedMemory mem;
    private final Segments seg;

    public LegacyDelivery(CpuState s, PagedMemory mem, Segments seg) {
        this.s = s;
        this.mem = mem;
        this.seg = seg;
    }

    /** Delivers {@code vector} or throws the fault that stopped it, committing nothing in that case. */
    void push(int vector, int kind, boolean hasError, long errorCode, long returnRip) {
        try {
            if (seg.realMode()) {
                real(vector, returnRip);
            } else {
                mem.setUser(false);
                protectedMode(vector, kind, hasError, errorCode, returnRip);
            }
            s.interruptShadow = false;
        } finally {
            mem.setUser(s.cpl == 3); // the new CPL when delivered, the old one when a fault stopped it
        }
    }

    private void real(int vector, long returnRip) {
        if (vector * 4L + 3 > (s.idtLimit & 0xffffL)) {
            throw new GuestFault(GP, 0, "vector " + vector + " is beyond the interrupt vector table's limit 0x"
                    + Integer.toHexString(s.idtLimit));
        }
        long entry = mem.read32((s.idtBase + vector * 4L) & 0xffffffffL) & 0xffffffffL;
        long[] at = slots(Segments.SS, s.segBase[Segments.SS], s.segLimit[Segments.SS], s.segAttr[Segments.SS], seg.sp(), 2, 3);
        write(at, 2, new long[] {s.rflags, s.cs, returnRip});
        seg.setSp(seg.sp() - 6);
        s.rflags &= ~(CpuState.IF | CpuState.TF | CpuState.AC | CpuState.RF);
        seg.loadReal(Segments.CS, (int) (entry >>> 16));
        s.rip = entry & 0xffff;
    }

    private void protectedMode(int vector, int kind, boolean hasError, long errorCode, long returnRip) {
        long ext = kind == Delivery.SOFTWARE ? 0 : 1;
        long gateError = vector * 8L + 2 + ext;
        if (vector * 8L + 7 > (s.idtLimit & 0xffffL)) {
            throw new GuestFault(GP, gateError, "vector " + vector + " is beyond the IDT limit 0x" + Integer.toHexString(s.idtLimit));
        }
        long gate = mem.read64((s.idtBase + vector * 8L) & 0xffffffffL);
        int type = (int) (gate >>> 40) & 0x1f;
        if (type != 0x6 && type != 0x7 && type != 0xe && type != 0xf) {
            throw new GuestFault(GP, gateError, "IDT entry " + vector + " is not an interrupt or trap gate (type 0x"
                    + Integer.toHexString(type) + (type == 5 ? ": task gates are not supported" : "") + ")");
        }
        if (kind == Delivery.SOFTWARE && Segments.dpl(gate) < s.cpl) {
            throw new GuestFault(GP, gateError, "INT " + vector + " through a gate of lower privilege than CPL " + s.cpl);
        }
        if (!Segments.present(gate)) {
            throw new GuestFault(NP, gateError, "IDT entry " + vector + " is not present");
        }
        int width = (type & 8) != 0 ? 4 : 2;
        int sel = (int) (gate >>> 16) & 0xffff;
        long target = (gate & 0xffff) | (width == 4 ? (gate >>> 32) & 0xffff0000L : 0);
        if ((sel & 0xfffc) == 0) {
            throw new GuestFault(GP, ext, "IDT entry " + vector + " names the null selector");
        }
        long code = seg.descriptor(sel);
        long err = (sel & 0xfffc) + ext;
        if (!Segments.isCode(code) || Segments.dpl(code) > s.cpl) {
            throw new GuestFault(GP, err, "IDT entry " + vector + " names 0x" + Integer.toHexString(sel)
                    + ", not a code segment at or above CPL " + s.cpl);
        }
        if (!Segments.present(code)) {
            throw new GuestFault(NP, err, "interrupt handler's code segment 0x" + Integer.toHexString(sel) + " is not present");
        }
        if (target > Segments.descLimit(code)) {
            throw new GuestFault(GP, ext, "interrupt handler 0x" + Long.toHexString(target) + " is beyond its code segment's limit");
        }
        boolean conforming = (code & (1L << 42)) != 0;
        int newCpl = conforming ? s.cpl : Segments.dpl(code);
        int n = hasError ? 4 : 3;
        long[] values = {s.rflags & ~CpuState.RF, s.cs, returnRip, errorCode, 0};
        if (newCpl < s.cpl) {
            int ssSel;
            long sp;
            if ((s.trAttr & 8) != 0) { // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n
                ssSel = (int) tss(8 + 8 * newCpl, 2, ext);
                sp = tss(4 + 8 * newCpl, 4, ext);
            } else { // 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n
                ssSel = (int) tss(4 + 4 * newCpl, 2, ext);
                sp = tss(2 + 4 * newCpl, 2, ext);
            }
            long ssd = innerStack(ssSel, newCpl, ext);
            int attr = Segments.descAttr(ssd);
            long mask = (attr & Segments.DB) != 0 ? 0xffffffffL : 0xffff;
            long[] frame = {s.ss, s.gpr[CpuState.RSP], values[0], values[1], values[2], values[3]};
            int count = n + 2;
            long[] at = slots(Segments.SS, Segments.descBase(ssd), Segments.descLimit(ssd), attr, sp & mask, width, count);
            mem.setUser(false);
            write(at, width, frame);
            code = seg.markAccessed(sel, code);
            ssd = seg.markAccessed(ssSel, ssd);
            s.cpl = newCpl;
            seg.load(Segments.SS, ssSel, ssd);
            seg.setSp(sp - (long) count * width);
        } else {
            long[] at = slots(Segments.SS, s.segBase[Segments.SS], s.segLimit[Segments.SS], s.segAttr[Segments.SS], seg.sp(), width, n);
            mem.setUser(s.cpl == 3);
            write(at, width, values);
            code = seg.markAccessed(sel, code);
            seg.setSp(seg.sp() - (long) n * width);
        }
        long flags = s.rflags & ~(CpuState.TF | CpuState.NT | CpuState.RF | CpuState.VM);
        if ((type & 1) == 0) {
            flags &= ~CpuState.IF; // an interrupt gate
        }
        s.rflags = flags;
        seg.load(Segments.CS, (sel & 0xfffc) | newCpl, code);
        s.rip = target;
    }

    /** A field of the current TSS ({@code size} bytes at {@code offset}): #TS(TR) beyond its limit. */
    private long tss(int offset, int size, long ext) {
        if (offset + size - 1 > s.trLimit) {
            throw new GuestFault(TS, (s.tr & 0xfffc) + ext, "TSS field 0x" + Integer.toHexString(offset) + " is beyond the TSS limit");
        }
        long a = (s.trBase + offset) & 0xffffffffL;
        return size == 2 ? mem.read16(a) & 0xffffL : mem.read32(a) & 0xffffffffL;
    }

    /** The stack segment from the TSS for level {@code cpl}: #TS(selector) unless a present writable data segment there. */
    private long innerStack(int ss, int cpl, long ext) {
        long err = (ss & 0xfffc) + ext;
        if ((ss & 0xfffc) == 0) {
            throw new GuestFault(TS, ext, "the TSS holds a null SS for CPL " + cpl);
        }
        long d;
        try {
            d = seg.descriptor(ss);
        } catch (GuestFault f) {
            throw new GuestFault(TS, err, f.getMessage());
        }
        if ((ss & 3) != cpl || Segments.dpl(d) != cpl || !Segments.isData(d) || (d & (1L << 41)) == 0) {
            throw new GuestFault(TS, err, "the TSS's SS 0x" + Integer.toHexString(ss) + " for CPL " + cpl
                    + " is not a writable data segment of that level");
        }
        if (!Segments.present(d)) {
            throw new GuestFault(CpuExit.Fault.SS, err, "the TSS's SS 0x" + Integer.toHexString(ss) + " is not present");
        }
        return d;
    }

    /**
     * The linear addresses of {@code count} stack slots of {@code width} bytes below {@code sp} in a stack segment
     * with this base, limit and attributes: #SS(0) if any lies outside the segment.
     */
    private static long[] slots(int sreg, long base, long limit, int attr, long sp, int width, int count) {
        long mask = (attr & Segments.DB) != 0 ? 0xffffffffL : 0xffff;
        boolean expandDown = (attr & (Segments.CODE | Segments.DC)) == Segments.DC;
        long[] at = new long[count];
        for (int k = 0; k < count; k++) {
            sp = (sp - width) & mask;
            long last = sp + width - 1;
            boolean bad = expandDown ? sp <= limit || last > mask : last > limit;
            if (bad) {
                throw new GuestFault(CpuExit.Fault.SS, 0, "interrupt stack slot at 0x" + Long.toHexString(sp)
                        + " is beyond the stack segment's limit 0x" + Long.toHexString(limit));
            }
            at[k] = (base + sp) & 0xffffffffL;
        }
        return at;
    }

    /** Writes the slots once every page they touch is known to be writable: all or nothing. */
    private void write(long[] at, int width, long[] values) {
        for (long a : at) {
            mem.probeWrite(a);
            mem.probeWrite(a + width - 1);
        }
        for (int k = 0; k < at.length; k++) {
            switch (width) {
                case 2 -> mem.write16(at[k], (int) values[k]);
                default -> mem.write32(at[k], (int) values[k]);
            }
        }
    }
}
