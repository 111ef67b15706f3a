package dev.corral.engine.cpu.decode;

/**
 * One decoded instruction: the handler ({@link Op}) and everything it needs, resolved at decode time so
 * that executing it allocates nothing and re-parses nothing.
 *
 * <p>Register operands use the encoding's numbering 0..15; for byte operands 16..19 stand for AH, CH, DH,
 * BH (legacy encodings without REX). {@code rm < 0} means the r/m operand is in memory at
 * {@code disp + base + (index << scale)} (bases and indexes absent when negative), truncated to 32 bits
 * when {@code addr32}, plus the FS or GS base when {@code seg} is 1 or 2. RIP-relative operands have
 * their absolute address folded into {@code disp} (and {@code ripRel} set).
 */
public final class Insn {

    public int op;
    /** Operand size in bytes: 1, 2, 4 or 8. */
    public int size;
    /** Second size: the source size of MOVZX/MOVSX, the memory size of x87/SSE loads. */
    public int size2;
    /** Sub-operation: ALU operation, condition code, shift kind, and so on. */
    public int sub;
    public int reg;
    public int rm;
    public int base = -1;
    public int index = -1;
    public int scale;
    public long disp;
    /** The memory operand is RIP-relative: {@code disp} is the address of the next instruction plus the displacement. */
    public boolean ripRel;
    public int seg;
    public boolean addr32;
    /**
     * Legacy and compatibility modes: the segment register of the memory operand (0 ES .. 5 GS, after any
     * override); the effective address is then an offset in it, 16 bits wide when {@code addr16}. -1 in 64-bit mode.
     */
    public int sreg = -1;
    public boolean addr16;
    /** REP/REPE (3) or REPNE (2) prefix on a string instruction, 0 otherwise. */
    public int rep;
    /** For {@link Op#LOCKED}: the read-modify-write it performs atomically (an {@link Op} number). */
    public int lockedOp;
    public long imm;
    public long imm2;
    /** Address of this instruction and of the next one. */
    public long rip;
    public long next;
    int len;
}
