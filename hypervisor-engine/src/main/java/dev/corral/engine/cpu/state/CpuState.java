package dev.corral.engine.cpu.state;

/**
 * The architectural state of one software vCPU.
 *
 * <p>General registers are indexed as in the instruction encoding: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
 * 5 RBP, 6 RSI, 7 RDI, 8..15 R8..R15. XMM registers are pairs of longs: {@code xmm[2*i]} is bits 0..63
 * of XMMi, {@code xmm[2*i+1]} bits 64..127.
 *
 * <p>The system part (control registers, descriptor tables, selectors, MSRs, CPL) matters only to a
 * CPU made with {@link Cpu#system}; a user-mode CPU leaves it as it is and always runs at CPL3.
 */
public final class CpuState {

    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

    /** RFLAGS bits. */
    public static final long CF = 1L, PF = 1L << 2, AF = 1L << 4, ZF = 1L << 6, SF = 1L << 7,
            TF = 1L << 8, IF = 1L << 9, DF = 1L << 10, OF = 1L << 11, IOPL = 3L << 12, NT = 1L << 14,
            RF = 1L << 16, VM = 1L << 17, AC = 1L << 18, ID = 1L << 21;

    /** Control register and EFER bits the system CPU acts on. */
    public static final long CR0_PE = 1L, CR0_MP = 1L << 1, CR0_EM = 1L << 2, CR0_TS = 1L << 3, CR0_ET = 1L << 4,
            CR0_NE = 1L << 5, CR0_WP = 1L << 16, CR0_AM = 1L << 18, CR0_NW = 1L << 29, CR0_CD = 1L << 30,
            CR0_PG = 1L << 31;
    public static final long CR4_PSE = 1L << 4, CR4_PAE = 1L << 5, CR4_PGE = 1L << 7;
    public static final long EFER_SCE = 1L, EFER_LME = 1L << 8, EFER_LMA = 1L << 10, EFER_NXE = 1L << 11;

    public final long[] gpr = new long[16];
    public long rip;
    /** Bit 1 is always set, as in hardware. */
    public long rflags = 0x202;
    /**
     * Lazy arithmetic flags, left by translated code between two translated blocks: when {@code ccOp} is not
     * zero, CF, PF, AF, ZF, SF and OF of {@link #rflags} are stale and {@link LazyFlags} computes them from the
     * last flag-setting operation ({@code ccOp}: kind and operand size), its operands and its result. Every
     * path out of translated code ({@link Cpu#run} returning, a fault delivered, the interpreter taking over)
     * calls {@link #materializeFlags()} first, so code outside the CPU always sees exact flags.
     */
    public int ccOp;
    public long ccA, ccB, ccR, ccX;
    public long fsBase;
    public long gsBase;
    public final long[] xmm = new long[32];
    public int mxcsr = 0x1f80;

    // ---- system state (Cpu.system) ----
    public long cr0;
    /** The faulting linear address of the last #PF. */
    public long cr2;
    public long cr3;
    public long cr4;
    public long efer;
    public long gdtBase;
    public int gdtLimit;
    public long idtBase;
    public int idtLimit;
    /** Segment selectors. In 64-bit mode only FS and GS have a base ({@link #fsBase}, {@link #gsBase}). */
    public int cs, ss, ds, es, fs, gs;
    /** Task register: selector and the base and limit of the 64-bit TSS it names (RSP0..2, IST1..7). */
    public int tr;
    public long trBase;
    public int trLimit;
    public int ldtr;
    /** Current privilege level: 0 (kernel) or 3 (user). */
    public int cpl = 3;
    /** Interrupts are held off until the next instruction retires (after STI or MOV SS). */
    public boolean interruptShadow;
    /** MSRs the CPU keeps but does not act on beyond SYSCALL/SYSRET and SWAPGS. */
    public long kernelGsBase, star, lstar, cstar, fmask, sysenterCs, sysenterEsp, sysenterEip, tscAux;
    public long pat = 0x0007040600070406L;
    public long mtrrDefType;
    /** Debug registers: stored and read back, no breakpoint ever fires. */
    public final long[] dr = {0, 0, 0, 0, 0xffff0ff0L, 0xffff0ff0L, 0xffff0ff0L, 0x400};

    // ---- segment descriptor caches: real, protected and compatibility mode (see Segments) ----
    /**
     * The hidden part of ES, CS, SS, DS, FS, GS (indexes 0..5, the encoding's order): the base, the limit in bytes
     * and the descriptor's attribute bits 40..55 with the limit bits cleared (type, S, DPL, P, AVL, L, D/B, G: the
     * layout of VMX access rights). FS and GS keep their bases in {@link #fsBase} and {@link #gsBase}; 64-bit
     * mode reads only CS's L and D bits from here.
     */
    public final long[] segBase = new long[6];
    public final long[] segLimit = new long[6];
    public final int[] segAttr = new int[6];
    /** TR's attributes as {@link #segAttr} has them: type 0xb (busy 32/64-bit TSS) or 3 (busy 16-bit TSS). */
    public int trAttr = 0x8b;
    /** LDTR's base and limit. */
    public long ldtBase;
    public long ldtLimit;
    /**
     * The code's default operand size in bytes: 8 in 64-bit mode; 4 or 2 (CS.D) in compatibility, protected and
     * real mode, whose code the CPU decodes one instruction at a time.
     */
    public int codeSize = 8;

    public CpuState copy() {
        CpuState c = new CpuState();
        System.arraycopy(gpr, 0, c.gpr, 0, gpr.length);
        System.arraycopy(xmm, 0, c.xmm, 0, xmm.length);
        c.rip = rip;
        c.rflags = rflags;
        c.fsBase = fsBase;
        c.gsBase = gsBase;
        c.mxcsr = mxcsr;
        c.cr0 = cr0;
        c.cr2 = cr2;
        c.cr3 = cr3;
        c.cr4 = cr4;
        c.efer = efer;
        c.gdtBase = gdtBase;
        c.gdtLimit = gdtLimit;
        c.idtBase = idtBase;
        c.idtLimit = idtLimit;
        c.cs = cs;
        c.ss = ss;
        c.ds = ds;
        c.es = es;
        c.fs = fs;
        c.gs = gs;
        c.tr = tr;
        c.trBase = trBase;
        c.trLimit = trLimit;
        c.ldtr = ldtr;
        c.cpl = cpl;
        c.interruptShadow = interruptShadow;
        c.kernelGsBase = kernelGsBase;
        c.star = star;
        c.lstar = lstar;
        c.cstar = cstar;
        c.fmask = fmask;
        c.sysenterCs = sysenterCs;
        c.sysenterEsp = sysenterEsp;
        c.sysenterEip = sysenterEip;
        c.tscAux = tscAux;
        c.pat = pat;
        c.mtrrDefType = mtrrDefType;
        System.arraycopy(dr, 0, c.dr, 0, dr.length);
        System.arraycopy(segBase, 0, c.segBase, 0, 6);
        System.arraycopy(segLimit, 0, c.segLimit, 0, 6);
        System.arraycopy(segAttr, 0, c.segAttr, 0, 6);
        c.trAttr = trAttr;
        c.ldtBase = ldtBase;
        c.ldtLimit = ldtLimit;
        c.codeSize = codeSize;
        return c;
    }

    /** Makes {@link #rflags} exact again after translated code left its arithmetic flags lazy. */
    public void materializeFlags() {
        if (ccOp != 0) {
            rflags = LazyFlags.compute(ccOp, rflags, ccA, ccB, ccR, ccX);
            ccOp = 0;
        }
    }
}
