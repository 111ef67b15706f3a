package dev.corral.engine.usermode;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How many 4 KiB pages all processes of one run may hold, so that a guest touching more memory than the
 * JVM has ends that guest (as Linux's OOM killer would) instead of the JVM.
 */
public final class PageBudget {

    /** A guest process asked for a page beyond the budget. */
    public static final class Exhausted extends RuntimeException {
        Exhausted(long pages) {
            super("guest memory budget of " + pages + " pages (" + (pages >> 8) + " MiB) is spent", null, false, false);
        }
    }

    private final long limit;
    private final AtomicLong free;

    public PageBudget(long pages) {
        this.limit = pages;
        this.free = new AtomicLong(pages);
    }

    public static PageBudget unlimited() {
        return new PageBudget(Long.MAX_VALUE / 2);
    }

    /** Three quarters of the JVM's maximum heap. */
    public static PageBudget fromHeap() {
        return new PageBudget(Runtime.getRuntime().maxMemory() / 4 * 3 / UserAddressSpace.PAGE_SIZE);
    }

    void take() {
        if (free.decrementAndGet() < 0) {
            free.incrementAndGet();
            throw new Exhausted(limit);
        }
    }

    void give(long pages) {
        free.addAndGet(pages);
    }

    public long used() {
        return limit - free.get();
    }
}
