package dev.corral.engine.cpu.interp;

import java.util.ArrayList;

import dev.corral.engine.cpu.decode.Decoder;
import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.state.MemoryFault;

/**
 * A run of decoded instructions from {@code start}, ended by a control transfer, an undecodable
 * instruction or the length cap. {@code valid} drops to false when guest code in one of its pages is
 * written; an executing block checks it after every instruction.
 */
public final class Block {

    public final long start;
    public final Insn[] insns;
    /**
     * First and last page the instruction bytes came from (equal unless the block crosses a page), as
     * {@link CpuMemory#codePage} names them: physical pages under paging.
     */
    public final long firstPage;
    public final long lastPage;
    /** The linear address of the last page, to check under paging that it still maps to {@code lastPage}. */
    public final long lastLinearPage;
    public boolean valid = true;
    /** Executions counted by the interpreter towards translation. */
    public int heat;
    /** Its translation, once hot ({@link Translator}), published by a translator thread; dropped with the block. */
    public volatile CompiledBlock compiled;
    /**
     * The {@link PagedMemory#epoch} in which its pages were last seen to map to {@link #firstPage} and {@link #lastPage}:
     * while the vCPU's translations have not changed since, the block needs no check that its code is still mapped.
     */
    public int mappedEpoch = -1;
    /** The two blocks that ran after this one most recently: the next dispatch looks here before the cache. */
    public Block next, other;

    Block(long start, Insn[] insns, long firstPage, long lastPage, long lastLinearPage) {
        this.start = start;
        this.insns = insns;
        this.firstPage = firstPage;
        this.lastPage = lastPage;
        this.lastLinearPage = lastLinearPage;
    }

    /**
     * Decodes the block at {@code rip} with {@code d}, which fetches from {@code mem}: up to {@link Decoder#MAX_BLOCK}
     * instructions, to the first that ends a block ({@link Decoder#endsBlock}) or the first that cannot be fetched.
     */
    public static Block decode(Decoder d, CpuMemory mem, long rip) {
        ArrayList<Insn> list = new ArrayList<>();
        long addr = rip;
        long firstLinear = rip & -CpuMemory.PAGE_SIZE;
        long lastLinear = firstLinear;
        // Watch each page before reading code from it: a write from then on, by any vCPU, reaches the cache.
        mem.watchCode(rip);
        boolean nextWatched = false;
        while (list.size() < Decoder.MAX_BLOCK) {
            if (!nextWatched && addr - firstLinear > CpuMemory.PAGE_SIZE - 15) {
                nextWatched = watchNext(mem, firstLinear + CpuMemory.PAGE_SIZE); // this instruction may reach into it
            }
            Insn i;
            try {
                i = d.decode(addr);
            } catch (MemoryFault | GuestFault e) {
                if (list.isEmpty()) {
                    throw e;
                }
                break; // reported when (if) execution gets there
            }
            list.add(i);
            lastLinear = (i.next - 1) & -CpuMemory.PAGE_SIZE;
            if (Decoder.endsBlock(i.op)) {
                break;
            }
            addr = i.next;
        }
        long firstPage = mem.codePage(firstLinear);
        long lastPage = firstPage;
        if (lastLinear != firstLinear) {
            lastPage = mem.codePage(lastLinear);
        }
        return new Block(rip, list.toArray(new Insn[0]), firstPage, lastPage, lastLinear);
    }

    /** Watches the page after the block's first; false when fetching from it faults (then the fetch reports it). */
    private static boolean watchNext(CpuMemory mem, long page) {
        try {
            mem.watchCode(page);
            return true;
        } catch (MemoryFault | GuestFault e) {
            return false;
        }
    }
}
