package dev.corral.engine.cpu;

/**
 * One decoded instruction: the handler ({@link Op}) and everything it needs, resolved at decode time so
 * that executing it allocates nothing and re-parses nothing.
 *
 * <p>Register operands use the encoding's numbering 0..15; for byte operands 16..19 stand for AH, CH, DH,
 * BH (legacy encodings without REX). {@code rm < 0} means the r/m operand is in memory at
 * {@code disp + base + (index << scale)} (bases and indexes absent when negative), truncated to 32 bits
 * when {@code addr32}, plus the FS or GS base when {@code seg} is 1 or 2. RIP-relative operands have
 * their absolute address folded into {@code disp}.
 */
final class Insn {

    int op;
    /** Operand size in bytes: 1, 2, 4 or 8. */
    int size;
    /** Second size: the source size of MOVZX/MOVSX, the memory size of x87/SSE loads. */
    int size2;
    /** Sub-operation: ALU operation, condition code, shift kind, and so on. */
    int sub;
    int reg;
    int rm;
    int base = -1;
    int index = -1;
    int scale;
    long disp;
    int seg;
    boolean addr32;
    /**
     * Legacy and compatibility modes: the segment register of the memory operand (0 ES .. 5 GS, after any
     * override); the effective address is then an offset in it, 16 bits wide when {@code addr16}. -1 in 64-bit mode.
     */
    int sreg = -1;
    boolean addr16;
    /** REP/REPE (3) or REPNE (2) prefix on a string instruction, 0 otherwise. */
    int rep;
    /** For {@link Op#LOCKED}: the read-modify-write it performs atomically (an {@link Op} number). */
    int lockedOp;
    long imm;
    long imm2;
    /** Address of this instruction and of the next one. */
    long rip;
    long next;
    int len;
}
