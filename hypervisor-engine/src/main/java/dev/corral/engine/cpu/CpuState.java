package dev.corral.engine.cpu;

/**
 * The architectural state of one software vCPU (user-visible part, long mode).
 *
 * <p>General registers are indexed as in the instruction encoding: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP,
 * 5 RBP, 6 RSI, 7 RDI, 8..15 R8..R15. XMM registers are pairs of longs: {@code xmm[2*i]} is bits 0..63
 * of XMMi, {@code xmm[2*i+1]} bits 64..127.
 */
public final class CpuState {

    public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

    /** RFLAGS bits. */
    public static final long CF = 1L, PF = 1L << 2, AF = 1L << 4, ZF = 1L << 6, SF = 1L << 7,
            TF = 1L << 8, IF = 1L << 9, DF = 1L << 10, OF = 1L << 11;

    public final long[] gpr = new long[16];
    public long rip;
    /** Bit 1 is always set, as in hardware. */
    public long rflags = 0x202;
    public long fsBase;
    public long gsBase;
    public final long[] xmm = new long[32];
    public int mxcsr = 0x1f80;

    public CpuState copy() {
        CpuState c = new CpuState();
        System.arraycopy(gpr, 0, c.gpr, 0, gpr.length);
        System.arraycopy(xmm, 0, c.xmm, 0, xmm.length);
        c.rip = rip;
        c.rflags = rflags;
        c.fsBase = fsBase;
        c.gsBase = gsBase;
        c.mxcsr = mxcsr;
        return c;
    }
}
