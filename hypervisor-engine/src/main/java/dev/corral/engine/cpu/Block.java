package dev.corral.engine.cpu;

/**
 * A run of decoded instructions from {@code start}, ended by a control transfer, an undecodable
 * instruction or the length cap. {@code valid} drops to false when guest code in one of its pages is
 * written; an executing block checks it after every instruction.
 */
final class Block {

    final long start;
    final Insn[] insns;
    /**
     * First and last page the instruction bytes came from (equal unless the block crosses a page), as
     * {@link CpuMemory#codePage} names them: physical pages under paging.
     */
    final long firstPage;
    final long lastPage;
    /** The linear address of the last page, to check under paging that it still maps to {@code lastPage}. */
    final long lastLinearPage;
    boolean valid = true;
    /** Executions counted by the interpreter towards translation. */
    int heat;
    /** Its translation, once hot ({@link Translator}), published by a translator thread; dropped with the block. */
    volatile CompiledBlock compiled;
    /**
     * The {@link PagedMemory#epoch} in which its pages were last seen to map to {@link #firstPage} and {@link #lastPage}:
     * while the vCPU's translations have not changed since, the block needs no check that its code is still mapped.
     */
    int mappedEpoch = -1;
    /** The two blocks that ran after this one most recently: the next dispatch looks here before the cache. */
    Block next, other;

    Block(long start, Insn[] insns, long firstPage, long lastPage, long lastLinearPage) {
        this.start = start;
        this.insns = insns;
        this.firstPage = firstPage;
        this.lastPage = lastPage;
        this.lastLinearPage = lastLinearPage;
    }
}
