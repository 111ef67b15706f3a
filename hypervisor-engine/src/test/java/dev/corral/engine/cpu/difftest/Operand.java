package dev.corral.engine.cpu.difftest;

/** An r/m operand: a register or a memory reference. */
sealed interface Operand {

    /**
     * A general register by encoding number; for byte registers {@code high} selects AH, CH, DH, BH
     * (num 0..3), which cannot be encoded together with a REX prefix.
     */
    record Reg(int num, boolean high) implements Operand {
        static Reg of(int num) {
            return new Reg(num, false);
        }
    }

    /** An XMM register by number (for the r/m field of SSE instructions). */
    record Xmm(int num) implements Operand {}

    /**
     * A memory reference. {@code base} and {@code index} are register numbers or -1 for none; base
     * {@link #RIP} makes it RIP-relative, with {@code disp} then the absolute target address.
     * {@code wideDisp} forces a 32-bit displacement even where 8 bits would do.
     */
    record Mem(int base, int index, int scale, long disp, boolean wideDisp) implements Operand {
        static final int RIP = 16;
    }
}
