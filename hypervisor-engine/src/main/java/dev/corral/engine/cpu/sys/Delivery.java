package dev.corral.engine.cpu.sys;

import static dev.corral.engine.cpu.state.CpuExit.Fault.DF;
import static dev.corral.engine.cpu.state.CpuExit.Fault.GP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.NP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.PF;
import static dev.corral.engine.cpu.state.CpuExit.Fault.SS;
import static dev.corral.engine.cpu.state.CpuExit.Fault.TS;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;

/**
 * Exception and interrupt delivery in long mode (from 64-bit or compatibility mode code) through the guest's
 * IDT, and the descriptor checks that go with it (IRETQ, far return, segment loads use {@link #codeDescriptor}
 * and {@link #descriptor}). Outside long mode {@link LegacyDelivery} builds the frame; the escalation below is
 * the same in every mode.
 *
 * <p>A 64-bit interrupt or trap gate names a 64-bit code segment in the GDT; a gate to a more privileged
 * level switches to RSPn from the TSS, a non-zero IST to that IST stack; the stack is aligned to 16 bytes
 * and gets SS, RSP, RFLAGS, CS, RIP and, for vectors 8, 10-14, 17 and 21, an error code. An interrupt
 * gate clears IF. A fault while delivering is handled as the manual's table says: a contributory fault
 * on a contributory one, or a contributory fault or #PF on a #PF, becomes #DF; any fault delivering #DF
 * shuts the machine down (a triple fault). Everything read on the way goes through the guest's paging
 * as supervisor accesses, so an IDT, GDT, TSS or stack that points at garbage ends in faults, never in a
 * Java exception.
 */
public final class Delivery {

    /** What raised the event: the kind decides the EXT bit of error codes and the gate DPL check. */
    public static final int EXTERNAL = 0, SOFTWARE = 1, EXCEPTION = 2;

    private final CpuState s;
    private final PagedMemory mem;
    /** Set once the machine triple-faulted; the CPU returns it from then on. */
    public CpuExit.Shutdown shutdown;
    /** Delivery outside long mode (real and protected mode) and the segment caches; set by the CPU. */
    public LegacyDelivery legacy;
    public Segments seg;

    public Delivery(CpuState s, PagedMemory mem) {
        this.s = s;
        this.mem = mem;
    }

    static boolean hasErrorCode(int vector) {
        return vector == DF || (vector >= TS && vector <= PF) || vector == 17 || vector == 21;
    }

    private static boolean contributory(int vector) {
        return vector == 0 || (vector >= TS && vector <= GP);
    }

    /**
     * Delivers {@code vector}. {@code returnRip} is where IRET goes back to (the faulting instruction for a
     * fault, the next one for INT n and traps); {@code instrRip} is the instruction a fault during delivery
     * is reported at. Returns null when delivered, the shutdown exit on a triple fault.
     */
    public CpuExit.Shutdown deliver(int vector, int kind, long errorCode, long returnRip, long instrRip) {
        if (shutdown != null) {
            return shutdown;
        }
        boolean hasError = kind == EXCEPTION && hasErrorCode(vector);
        String history = name(vector, hasError, errorCode);
        for (int attempt = 0; ; attempt++) {
            int second;
            long secondError;
            try {
                push(vector, kind, hasError, errorCode, returnRip);
                return null;
            } catch (MemoryFault f) {
                second = PF;
                secondError = f.errorCode() >= 0 ? f.errorCode() : 0;
                s.cr2 = f.address();
            } catch (GuestFault g) {
                second = g.vector;
                secondError = g.errorCode;
            }
            String secondName = name(second, hasErrorCode(second), secondError)
                    + (second == PF ? " at 0x" + Long.toHexString(s.cr2) : "");
            boolean firstIsException = kind == EXCEPTION;
            if ((firstIsException && vector == DF) || attempt >= 3) {
                shutdown = new CpuExit.Shutdown("triple fault: " + secondName + " while delivering " + history
                        + " at rip 0x" + Long.toHexString(instrRip) + " (IDT base 0x" + Long.toHexString(s.idtBase)
                        + " limit 0x" + Integer.toHexString(s.idtLimit) + ")");
                return shutdown;
            }
            boolean escalate = firstIsException
                    && ((contributory(vector) && contributory(second)) || (vector == PF && (contributory(second) || second == PF)));
            if (escalate) {
                history = "#DF (" + secondName + " while delivering " + history + ")";
                vector = DF;
                errorCode = 0;
            } else {
                history = secondName + " (while delivering " + history + ")";
                vector = second;
                errorCode = secondError;
            }
            kind = EXCEPTION;
            hasError = hasErrorCode(vector);
            returnRip = instrRip;
        }
    }

    private void push(int vector, int kind, boolean hasError, long errorCode, long returnRip) {
        if ((s.efer & CpuState.EFER_LMA) == 0) {
            legacy.push(vector, kind, hasError, errorCode, returnRip);
            return;
        }
        long ext = kind == SOFTWARE ? 0 : 1;
        long gateError = vector * 8L + 2 + ext;
        if (vector * 16L + 15 > s.idtLimit) {
            throw new GuestFault(GP, gateError, "vector " + vector + " is beyond the IDT limit 0x" + Integer.toHexString(s.idtLimit));
        }
        mem.setUser(false); // the IDT, GDT and TSS are read with supervisor rights whatever the CPL
        try {
            long lo = mem.read64(s.idtBase + vector * 16L);
            long hi = mem.read64(s.idtBase + vector * 16L + 8);
            int type = (int) (lo >>> 40) & 0x1f; // with the S bit, which must be 0 for a gate
            if (type != 0xe && type != 0xf) {
                throw new GuestFault(GP, gateError, "IDT entry " + vector + " is not a 64-bit interrupt or trap gate (type 0x"
                        + Integer.toHexString(type) + ")");
            }
            if (kind == SOFTWARE && ((lo >>> 45) & 3) < s.cpl) {
                throw new GuestFault(GP, gateError, "INT " + vector + " through a gate of lower privilege than CPL " + s.cpl);
            }
            if ((lo & (1L << 47)) == 0) {
                throw new GuestFault(NP, gateError, "IDT entry " + vector + " is not present");
            }
            int selector = (int) (lo >>> 16) & 0xffff;
            long target = (lo & 0xffff) | ((lo >>> 32) & 0xffff0000L) | (hi << 32);
            int ist = (int) (lo >>> 32) & 7;
            long code = codeDescriptor(selector, ext);
            int dpl = (int) (code >>> 45) & 3;
            if (dpl > s.cpl) {
                throw new GuestFault(GP, (selector & ~3) + ext, "interrupt gate to a less privileged code segment");
            }
            boolean conforming = (code & (1L << 42)) != 0;
            int newCpl = conforming ? s.cpl : dpl;
            long rsp = s.gpr[CpuState.RSP];
            int newSs = s.ss;
            if (newCpl < s.cpl) {
                rsp = tss(4 + 8 * newCpl, ext);
                newSs = newCpl; // a null selector with RPL = the new CPL, as 64-bit mode loads it
            }
            if (ist != 0) {
                rsp = tss(0x24 + 8 * (ist - 1), ext);
            }
            if (((target << 16) >> 16) != target) {
                throw new GuestFault(GP, ext, "interrupt handler address 0x" + Long.toHexString(target) + " is not canonical");
            }
            rsp &= ~15L;
            long sp = rsp - (hasError ? 48 : 40);
            if (((rsp << 16) >> 16) != rsp || ((sp << 16) >> 16) != sp) {
                throw new GuestFault(SS, ext, "interrupt stack 0x" + Long.toHexString(rsp) + " is not canonical");
            }
            mem.setUser(newCpl == 3);
            mem.write64(rsp - 8, s.ss);
            mem.write64(rsp - 16, s.gpr[CpuState.RSP]);
            mem.write64(rsp - 24, s.rflags);
            mem.write64(rsp - 32, s.cs);
            mem.write64(rsp - 40, returnRip);
            if (hasError) {
                mem.write64(rsp - 48, errorCode);
            }
            long flags = s.rflags & ~(CpuState.TF | CpuState.NT | CpuState.RF | CpuState.VM);
            if (type == 0xe) {
                flags &= ~CpuState.IF;
            }
            s.rflags = flags;
            if (newSs != s.ss) {
                seg.loadNull(Segments.SS, newSs); // the null selector of the new level
            }
            seg.load(Segments.CS, (selector & ~3) | newCpl, code);
            s.cpl = newCpl;
            s.gpr[CpuState.RSP] = sp;
            s.rip = target;
            s.interruptShadow = false;
        } finally {
            mem.setUser(s.cpl == 3); // the new CPL when delivered, the old one when a fault interrupted it
        }
    }

    /** A 64-bit field of the TSS at {@code offset}: RSPn or ISTn. */
    private long tss(int offset, long ext) {
        if (offset + 7 > s.trLimit) {
            throw new GuestFault(TS, (s.tr & ~3) + ext, "TSS field 0x" + Integer.toHexString(offset) + " is beyond the TSS limit");
        }
        return mem.read64(s.trBase + offset);
    }

    /**
     * The GDT descriptor of {@code selector}; #GP(selector) when it is null, in the LDT (not supported)
     * or beyond the GDT limit.
     */
    public long descriptor(int selector, long ext) {
        if ((selector & ~3) == 0 || (selector & 4) != 0 || (selector | 7) > s.gdtLimit) {
            throw new GuestFault(GP, (selector & ~3) + ext, "selector 0x" + Integer.toHexString(selector)
                    + " is null, in the LDT or beyond the GDT limit 0x" + Integer.toHexString(s.gdtLimit));
        }
        boolean wasUser = mem.user();
        mem.setUser(false);
        try {
            return mem.read64(s.gdtBase + (selector & ~7));
        } finally {
            mem.setUser(wasUser);
        }
    }

    /** A present 64-bit code segment descriptor (an interrupt gate's target must be one). */
    public long codeDescriptor(int selector, long ext) {
        return codeDescriptor(selector, ext, false);
    }

    /** A present code segment descriptor: 64-bit, or with {@code compat} also a 32- or 16-bit one (L clear). */
    public long codeDescriptor(int selector, long ext, boolean compat) {
        long d = descriptor(selector, ext);
        long err = (selector & ~3) + ext;
        if (((d >>> 43) & 3) != 3) {
            throw new GuestFault(GP, err, "selector 0x" + Integer.toHexString(selector) + " is not a code segment");
        }
        if ((d & (1L << 47)) == 0) {
            throw new GuestFault(NP, err, "code segment 0x" + Integer.toHexString(selector) + " is not present");
        }
        boolean l = (d & (1L << 53)) != 0;
        if (l ? (d & (1L << 54)) != 0 : !compat) {
            throw new GuestFault(GP, err, "code segment 0x" + Integer.toHexString(selector)
                    + (l ? " sets both L and D" : " is not 64-bit code, which an interrupt gate must name"));
        }
        return d;
    }

    /** The 64-bit TSS descriptor's base (its 16 bytes span two GDT slots). */
    public long systemBase(int selector, long low) {
        boolean wasUser = mem.user();
        mem.setUser(false);
        try {
            long high = mem.read64(s.gdtBase + (selector & ~7) + 8);
            return ((low >>> 16) & 0xffffffL) | (((low >>> 56) & 0xff) << 24) | ((high & 0xffffffffL) << 32);
        } finally {
            mem.setUser(wasUser);
        }
    }

    public static long limit(long d) {
        long lim = (d & 0xffff) | (((d >>> 48) & 0xf) << 16);
        return (d & (1L << 55)) != 0 ? (lim << 12) | 0xfff : lim;
    }

    static String name(int vector, boolean hasError, long errorCode) {
        String n = switch (vector) {
            case 0 -> "#DE";
            case 1 -> "#DB";
            case 2 -> "NMI";
            case 3 -> "#BP";
            case 4 -> "#OF";
            case 5 -> "#BR";
            case 6 -> "#UD";
            case 7 -> "#NM";
            case 8 -> "#DF";
            case 10 -> "#TS";
            case 11 -> "#NP";
            case 12 -> "#SS";
            case 13 -> "#GP";
            case 14 -> "#PF";
            case 16 -> "#MF";
            case 17 -> "#AC";
            case 18 -> "#MC";
            case 19 -> "#XM";
            default -> "vector " + vector;
        };
        return hasError ? n + "(0x" + Long.toHexString(errorCode) + ")" : n;
    }
}
