package dev.corral.engine.cpu.interp;

import java.util.ArrayList;
import java.util.HashMap;

import dev.corral.engine.cpu.sys.CodeCache;

/**
 * Decoded blocks by start address, and by the pages their bytes came from so that a write into a code
 * page drops exactly the blocks decoded from it. A small direct-mapped table answers the hot lookups
 * without boxing; the map behind it holds every live block.
 */
public final class BlockCache implements CodeCache {

    private static final int FAST_BITS = 12;
    private final Block[] fast = new Block[1 << FAST_BITS];
    private final HashMap<Long, Block> all = new HashMap<>();
    private final HashMap<Long, ArrayList<Block>> byPage = new HashMap<>();
    /** Translated blocks dropped because their code was written. */
    public long translationsInvalidated;

    private static int slot(long rip) {
        return (int) (rip ^ (rip >>> FAST_BITS)) & ((1 << FAST_BITS) - 1);
    }

    public Block find(long rip) {
        Block b = fast[slot(rip)];
        if (b != null && b.start == rip) {
            return b;
        }
        b = all.get(rip);
        if (b != null) {
            fast[slot(rip)] = b;
        }
        return b;
    }

    public void add(Block b) {
        Block old = all.put(b.start, b);
        if (old != null) {
            drop(old);
        }
        fast[slot(b.start)] = b;
        byPage.computeIfAbsent(b.firstPage, p -> new ArrayList<>()).add(b);
        if (b.lastPage != b.firstPage) {
            byPage.computeIfAbsent(b.lastPage, p -> new ArrayList<>()).add(b);
        }
    }

    @Override
    public void codeWritten(long pageAddress) {
        ArrayList<Block> blocks = byPage.remove(pageAddress);
        if (blocks == null) {
            return;
        }
        for (Block b : blocks) {
            if (b.compiled != null) {
                translationsInvalidated++;
            }
            kill(b);
            if (all.get(b.start) == b) {
                all.remove(b.start);
            }
            int s = slot(b.start);
            if (fast[s] == b) {
                fast[s] = null;
            }
            long other = b.firstPage == pageAddress ? b.lastPage : b.firstPage;
            if (other != pageAddress) {
                ArrayList<Block> list = byPage.get(other);
                if (list != null) {
                    list.remove(b);
                }
            }
        }
    }

    /** Drops every block (more pages were written than a vCPU's inbox holds). */
    @Override
    public void dropAll() {
        for (Block b : all.values()) {
            kill(b);
        }
        all.clear();
        byPage.clear();
        java.util.Arrays.fill(fast, null);
    }

    /** Forgets every translation (the cache's budget is spent); the blocks are interpreted until hot again. */
    public void dropTranslations() {
        for (Block b : all.values()) {
            CompiledBlock t = b.compiled;
            if (t != null) {
                t.live = false;
            }
            b.compiled = null;
            b.heat = 0;
        }
    }

    /** The block (and its translation, which a chained exit may hold) may not run any more. */
    private static void kill(Block b) {
        b.valid = false;
        CompiledBlock t = b.compiled;
        if (t != null) {
            t.live = false;
        }
    }

    private void drop(Block b) {
        kill(b);
        ArrayList<Block> list = byPage.get(b.firstPage);
        if (list != null) {
            list.remove(b);
        }
        list = byPage.get(b.lastPage);
        if (list != null) {
            list.remove(b);
        }
    }

    public int size() {
        return all.size();
    }
}
