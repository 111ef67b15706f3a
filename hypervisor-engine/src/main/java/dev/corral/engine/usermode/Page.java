package dev.corral.engine.usermode;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One materialized 4 KiB page of a {@link UserAddressSpace}. After a fork, parent and child hold
 * distinct {@code Page} objects over the same {@code data} array and the same {@code sharers} count;
 * a holder that writes first copies the array (copy-on-write) unless it is the last holder, so a shared
 * array is never written. The count also says when a shared array's memory is really given back.
 */
final class Page {
    byte[] data;
    int prot;
    /** The CPU decoded instructions from this page: writes must be reported. */
    boolean watched;
    /** How many address spaces hold {@code data}; null while this page alone does. */
    AtomicInteger sharers;

    Page(byte[] data, int prot, AtomicInteger sharers) {
        this.data = data;
        this.prot = prot;
        this.sharers = sharers;
    }

    /** Leaves the sharing group; true if the caller was the last holder (the array is now private). */
    boolean leaveShare() {
        boolean last = sharers.decrementAndGet() == 0;
        sharers = null;
        return last;
    }
}
