package dev.corral.engine.cpu.sys;

import static dev.corral.engine.cpu.state.CpuExit.Fault.GP;
import static dev.corral.engine.cpu.state.CpuExit.Fault.NP;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;

/**
 * Segmentation as real, protected and compatibility mode use it: the descriptor caches in {@link CpuState}
 * (base, limit, attributes), effective addresses (16 or 32 bits) turned into linear ones through them, with the
 * limit checks of the manual (#GP(0), or #SS(0) for SS, expand-down segments included), descriptor reads from
 * the GDT and the LDT, and the checks of a data or stack segment register load (#GP, #SS, #NP with the
 * selector as error code).
 *
 * <p>Real mode: a segment register load sets the selector and base (selector &lt;&lt; 4) only, keeping the
 * limit and attributes, as the hardware does (so "unreal" limits survive). Linear addresses outside 64-bit mode
 * are 32 bits. The limit check covers the operand an instruction addresses; an x87 or MMX operand, and the
 * bytes a BT with a register offset reaches beyond it, are checked at their first byte only. Reads of an
 * execute-only code segment and writes through a read-only or code segment are not refused.
 */
public final class Segments {

    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    /** Attribute bits (the descriptor's bits 40..55): accessed, readable/writable, conforming/expand-down, ... */
    public static final int A = 1, RW = 2, DC = 4, CODE = 8, S = 0x10, P = 0x80, L = 0x2000, DB = 0x4000, G = 0x8000;
    /** A real-mode data segment after reset: present, read/write, accessed; CS: present, code, readable, accessed. */
    public static final int REAL_DATA = P | S | RW | A, REAL_CODE = P | S | CODE | RW | A;
    static final String[] NAMES = {"ES", "CS", "SS", "DS", "FS", "GS"};

    private final CpuState s;
    private final PagedMemory mem;

    public Segments(CpuState s, PagedMemory mem) {
        this.s = s;
        this.mem = mem;
    }

    public boolean realMode() {
        return (s.cr0 & CpuState.CR0_PE) == 0;
    }

    public boolean longMode() {
        return (s.efer & CpuState.EFER_LMA) != 0;
    }

    // ---- the caches ----

    public long base(int sreg) {
        return sreg == FS ? s.fsBase : sreg == GS ? s.gsBase : s.segBase[sreg];
    }

    public int selector(int sreg) {
        return switch (sreg) {
            case ES -> s.es;
            case CS -> s.cs;
            case SS -> s.ss;
            case DS -> s.ds;
            case FS -> s.fs;
            default -> s.gs;
        };
    }

    public void set(int sreg, int sel, long base, long limit, int attr) {
        switch (sreg) {
            case ES -> s.es = sel;
            case CS -> s.cs = sel;
            case SS -> s.ss = sel;
            case DS -> s.ds = sel;
            case FS -> s.fs = sel;
            default -> s.gs = sel;
        }
        if (sreg == FS) {
            s.fsBase = base;
        } else if (sreg == GS) {
            s.gsBase = base;
        } else {
            s.segBase[sreg] = base;
        }
        s.segLimit[sreg] = limit;
        s.segAttr[sreg] = attr;
        if (sreg == CS) {
            updateCodeSize();
        }
    }

    /** Loads the cache of {@code sreg} from descriptor {@code d}. */
    public void load(int sreg, int sel, long d) {
        set(sreg, sel, descBase(d), descLimit(d), descAttr(d));
    }

    /** A null selector: the register is unusable (no P bit) until loaded again. */
    public void loadNull(int sreg, int sel) {
        set(sreg, sel, 0, 0, 0);
    }

    /** A real-mode load: selector and base only. */
    public void loadReal(int sreg, int sel) {
        set(sreg, sel & 0xffff, (long) (sel & 0xffff) << 4, s.segLimit[sreg], s.segAttr[sreg]);
    }

    /** CS in 64-bit mode as SYSCALL, SYSRET and the boot state load it: flat, L set, at {@code dpl}. */
    public void loadFlat64Code(int sel, int dpl) {
        set(CS, sel, 0, 0xffffffffL, P | S | CODE | RW | A | L | G | (dpl << 5));
    }

    /** A flat writable data segment at {@code dpl} (SYSCALL's and SYSRET's SS). */
    public void loadFlatData(int sreg, int sel, int dpl) {
        set(sreg, sel, 0, 0xffffffffL, P | S | RW | A | DB | G | (dpl << 5));
    }

    /** The default operand size follows CS: 8 only when long mode is active and CS.L is set. */
    public void updateCodeSize() {
        int a = s.segAttr[CS];
        s.codeSize = longMode() && (a & L) != 0 ? 8 : (a & DB) != 0 ? 4 : 2;
    }

    public static long descBase(long d) {
        return ((d >>> 16) & 0xffffffL) | (((d >>> 56) & 0xff) << 24);
    }

    public static long descLimit(long d) {
        long lim = (d & 0xffff) | (((d >>> 48) & 0xf) << 16);
        return (d & (1L << 55)) != 0 ? (lim << 12) | 0xfff : lim;
    }

    public static int descAttr(long d) {
        return (int) (d >>> 40) & 0xf0ff;
    }

    public static int dpl(long d) {
        return (int) (d >>> 45) & 3;
    }

    public static boolean present(long d) {
        return (d & (1L << 47)) != 0;
    }

    /** A code or data descriptor (S set) that is code. */
    public static boolean isCode(long d) {
        return ((d >>> 43) & 3) == 3;
    }

    public static boolean isData(long d) {
        return ((d >>> 43) & 3) == 2;
    }

    // ---- addresses ----

    /** The linear address of {@code size} bytes at {@code offset} in {@code sreg}: #GP(0) (#SS(0)) beyond its limit. */
    public long linear(int sreg, long offset, int size) {
        check(sreg, offset, size);
        return (base(sreg) + offset) & 0xffffffffL;
    }

    public void check(int sreg, long offset, int size) {
        int a = s.segAttr[sreg];
        if ((a & P) == 0 && !realMode()) {
            throw fault(sreg, NAMES[sreg] + " (selector 0x" + Integer.toHexString(selector(sreg))
                    + ") is null or unusable");
        }
        long last = offset + size - 1;
        long limit = s.segLimit[sreg];
        boolean expandDown = (a & (CODE | DC)) == DC && (a & S) != 0;
        boolean bad = expandDown ? offset <= limit || last > ((a & DB) != 0 ? 0xffffffffL : 0xffff) : last > limit;
        if (bad) {
            throw fault(sreg, "offset 0x" + Long.toHexString(offset) + " (" + size + " bytes) is beyond the limit 0x"
                    + Long.toHexString(limit) + " of " + NAMES[sreg] + " (selector 0x" + Integer.toHexString(selector(sreg)) + ")");
        }
    }

    private static GuestFault fault(int sreg, String what) {
        return new GuestFault(sreg == SS ? CpuExit.Fault.SS : GP, 0, what);
    }

    // ---- the stack ----

    /** The stack's address size: 4 when SS.B is set (ESP), else 2 (SP). */
    int stackSize() {
        return (s.segAttr[SS] & DB) != 0 ? 4 : 2;
    }

    public long stackMask() {
        return stackSize() == 4 ? 0xffffffffL : 0xffff;
    }

    public long sp() {
        return s.gpr[CpuState.RSP] & stackMask();
    }

    /** Sets SP or ESP, as the stack's address size says (SP leaves ESP's upper half alone). */
    public void setSp(long v) {
        long m = stackMask();
        s.gpr[CpuState.RSP] = (s.gpr[CpuState.RSP] & ~m & 0xffffffffL) | (v & m);
    }

    // ---- descriptor tables ----

    /**
     * The 8-byte descriptor {@code sel} names in the GDT or (TI set) the LDT: #GP(selector) beyond the table's
     * limit or through a null LDTR. The null selector is the caller's to refuse.
     */
    public long descriptor(int sel) {
        boolean ldt = (sel & 4) != 0;
        long tableLimit = ldt ? s.ldtLimit : s.gdtLimit & 0xffffL;
        if ((ldt && (s.ldtr & ~3) == 0) || (sel | 7) > tableLimit) {
            throw new GuestFault(GP, sel & 0xfffc, "selector 0x" + Integer.toHexString(sel) + " is beyond the "
                    + (ldt ? "LDT" : "GDT") + " limit 0x" + Long.toHexString(tableLimit));
        }
        return supervisorRead64(descriptorAddress(sel));
    }

    public long descriptorAddress(int sel) {
        long a = ((sel & 4) != 0 ? s.ldtBase : s.gdtBase) + (sel & 0xfff8);
        return longMode() ? a : a & 0xffffffffL;
    }

    long supervisorRead64(long a) {
        boolean wasUser = mem.user();
        mem.setUser(false);
        try {
            return mem.read64(a);
        } finally {
            mem.setUser(wasUser);
        }
    }

    /** Sets the accessed bit of a descriptor the CPU loads, as the hardware does (a supervisor write: it may fault). */
    public long markAccessed(int sel, long d) {
        if ((d & (1L << 40)) != 0) {
            return d;
        }
        boolean wasUser = mem.user();
        mem.setUser(false);
        try {
            mem.write8(descriptorAddress(sel) + 5, (int) (d >>> 40) | 1);
        } finally {
            mem.setUser(wasUser);
        }
        return d | (1L << 40);
    }

    /**
     * MOV, POP or a far-pointer load of a data or stack segment register outside 64-bit mode (real mode: base only),
     * with the manual's checks: SS must be a present writable data segment at CPL; DS, ES, FS, GS a data or
     * readable code segment that the CPL and RPL may use (null allowed, leaving the register unusable).
     */
    public void loadData(int sreg, int sel) {
        sel &= 0xffff;
        if (realMode()) {
            loadReal(sreg, sel);
            return;
        }
        int err = sel & 0xfffc;
        if (err == 0) {
            if (sreg == SS && !(s.codeSize == 8 && s.cpl < 3)) {
                throw new GuestFault(GP, 0, "null selector 0x" + Integer.toHexString(sel) + " loaded into SS");
            }
            loadNull(sreg, sel);
            return;
        }
        long d = descriptor(sel);
        int rpl = sel & 3;
        int dpl = dpl(d);
        if (sreg == SS) {
            if (rpl != s.cpl || !isData(d) || (d & (1L << 41)) == 0 || dpl != s.cpl) {
                throw new GuestFault(GP, err, "selector 0x" + Integer.toHexString(sel)
                        + " is not a writable data segment at CPL " + s.cpl + " for SS");
            }
            if (!present(d)) {
                throw new GuestFault(CpuExit.Fault.SS, err, "stack segment 0x" + Integer.toHexString(sel) + " is not present");
            }
        } else {
            boolean code = isCode(d);
            boolean ok = (isData(d) || (code && (d & (1L << 41)) != 0))
                    && ((code && (d & (1L << 42)) != 0) || (rpl <= dpl && s.cpl <= dpl));
            if (!ok) {
                throw new GuestFault(GP, err, "selector 0x" + Integer.toHexString(sel) + " cannot be loaded into "
                        + NAMES[sreg] + " at CPL " + s.cpl);
            }
            if (!present(d)) {
                throw new GuestFault(NP, err, "segment 0x" + Integer.toHexString(sel) + " is not present");
            }
        }
        load(sreg, sel, markAccessed(sel, d));
    }

    /**
     * After a return to an outer privilege level: DS, ES, FS and GS holding a data or non-conforming code segment
     * more privileged than the new CPL become null, so the outer level cannot use them.
     */
    public void dropPrivilegedDataSegments() {
        for (int sreg : new int[] {ES, DS, FS, GS}) {
            int a = s.segAttr[sreg];
            boolean conformingCode = (a & (CODE | DC)) == (CODE | DC);
            if ((a & P) != 0 && !conformingCode && ((a >>> 5) & 3) < s.cpl) {
                loadNull(sreg, 0);
            }
        }
    }

    /** LLDT: a present LDT descriptor (type 2) in the GDT, or null; long mode's is 16 bytes. */
    public void lldt(int sel) {
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) {
            s.ldtr = sel;
            s.ldtBase = 0;
            s.ldtLimit = 0;
            return;
        }
        if ((sel & 4) != 0) {
            throw new GuestFault(GP, sel & 0xfffc, "LLDT of selector 0x" + Integer.toHexString(sel) + " in the LDT");
        }
        long d = descriptor(sel);
        if (((d >>> 40) & 0x1f) != 2) {
            throw new GuestFault(GP, sel & 0xfffc, "LLDT of selector 0x" + Integer.toHexString(sel) + ", not an LDT descriptor");
        }
        if (!present(d)) {
            throw new GuestFault(NP, sel & 0xfffc, "LDT 0x" + Integer.toHexString(sel) + " is not present");
        }
        long base = descBase(d);
        if (longMode()) {
            base |= (supervisorRead64(descriptorAddress(sel) + 8) & 0xffffffffL) << 32;
        }
        s.ldtr = sel;
        s.ldtBase = base;
        s.ldtLimit = descLimit(d);
    }
}
