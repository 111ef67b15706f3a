package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.decode.Insn;

/**
 * A block of guest code translated to JVM bytecode ({@link Translator}): a hidden class that extends this one,
 * unloadable once its {@link Block} is dropped. Its {@link #run} executes the whole block, or up to a fault
 * (then {@link Interp#partial} says how many instructions completed and the exception is the interpreter's,
 * with the state exactly at the faulting instruction), or up to a write into its own code.
 */
public abstract class CompiledBlock {

    /** A translation with {@code exits} ways out of its method that may chain ({@link #chain}). */
    protected CompiledBlock(int exits) {
        chain = new CompiledBlock[exits];
    }

    /** Bit of {@link #run}'s result: the block left through an exit ({@link Interp#takeExit}). */
    public static final long EXIT = 1L << 32;

    /** The instructions it was translated from (the fallbacks and the faults name them). */
    public Insn[] insns;
    /** Its block: a write into the block's code makes {@link Block#valid} false, and the code stops after that write. */
    public Block block;
    /**
     * The blocks it runs: {@link #block} first, then the blocks of the same page its jumps reach without leaving the
     * method (each checked valid before it is entered).
     */
    public Block[] region;
    /**
     * Where its first block starts: the translated code names guest addresses relative to it, so one class serves the
     * same code at another address.
     */
    public long origin;
    /** Bytecode bytes of the hidden class (what the translation cache's budget counts). */
    public int codeBytes;
    /** Its class was loaded before, for another block of the same code (the translator's shared classes). */
    public boolean reused;
    /**
     * Per exit of its method (a jump, call or return out of the region): the translation that exit led to last time,
     * linked by the dispatcher, which the exit runs directly when it still fits (a chained call instead of a return
     * to the dispatcher and a lookup).
     */
    public final CompiledBlock[] chain;
    /**
     * It may run: its block's code was not written and it is still the block's translation (false once {@link
     * BlockCache} drops either). What a chained exit checks instead of the block, on the vCPU's thread.
     */
    public boolean live = true;
    /** Instructions of its first block (a chained exit needs that much budget left). */
    public int length;
    /**
     * The page-mapping epoch its block was last found mapped in ({@link Block#mappedEpoch}), copied by the
     * dispatcher each time it runs the translation.
     */
    public int mappedEpoch = -1;

    /**
     * Binds a new instance to its blocks (once, before it runs; the hidden class's initializer or {@link #another}
     * made it).
     */
    public void bind(Insn[] insns, Block[] region, int codeBytes, boolean reused) {
        this.insns = insns;
        this.block = region[0];
        this.region = region;
        this.origin = region[0].start;
        this.length = region[0].insns.length;
        this.codeBytes = codeBytes;
        this.reused = reused;
    }

    /** A new, unbound instance of the same class: the same code, for other blocks of the same instructions. */
    public abstract CompiledBlock another();

    /**
     * Runs the block from its first instruction, and on into the blocks of its {@link #region} (itself included, a
     * loop) while its direct jumps reach them and {@code left} has room for the next one: returns the number of
     * instructions retired (at most {@code left}, which is at least the block's length) in the low 32 bits, with
     * {@link #EXIT} set when the last one left through an exit. RIP is set to where execution continues; the arithmetic flags may be left lazy in
     * the state ({@link CpuState#materializeFlags}).
     */
    public abstract long run(Interp in, long left);
}
