package dev.corral.engine.cpu.sys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

import dev.corral.engine.cpu.state.CpuMemory;

/**
 * The physical pages of one VM's RAM that some vCPU decoded code from, and the agreement that keeps every vCPU's
 * decoded blocks in step with writes from any vCPU or device (cross-modifying code: Linux patches its own text with
 * text_poke while other CPUs run).
 *
 * <p>The invariants, which together mean no vCPU can run stale code past its next block boundary:
 * <ol>
 *   <li>A vCPU reads code bytes only from a page that is {@code WATCHED}: before decoding from a page it calls
 *       {@link #watch}, which returns once the page is watched and every vCPU that uses its TLB has caught up
 *       with that (a handshake: the epoch goes up and each running vCPU, at its next block boundary, drops its fast
 *       write entries to watched pages and acknowledges). A write before the acknowledgement is visible to the
 *       decoder; a write after it goes through the writer's slow path.</li>
 *   <li>Every write that does not go through a fast TLB entry checks the page after writing: a watched page
 *       ({@link #written}) goes back to unwatched and is posted to every other vCPU, which drops its blocks of it
 *       at its next block boundary (the writer drops its own at once). Device writes ({@link #deviceWrote}) fence
 *       before checking, so that they and a concurrent {@link #watch} cannot both miss each other.</li>
 *   <li>A write that arrives while a page is being watched leaves it being watched and is posted to everyone, the
 *       watcher too; so the watch ends without repeating, and the block decoded in the window is dropped.</li>
 * </ol>
 * A vCPU outside {@link Cpu#run}, or inside an MMIO access, counts as caught up: it touches no guest memory through
 * its TLB, and catches up when it resumes. Page states are bytes per 4 KiB page below the top of RAM.
 */
public final class CodePages {

    static final byte UNWATCHED = 0, WATCHING = 1, WATCHED = 2;
    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(CodePages.class, "epoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final byte[] state;
    private final long limit;
    private List<VcpuLink> links = List.of();
    @SuppressWarnings("unused") // through EPOCH
    private volatile long epoch;

    /** A registry for RAM below {@code top} (a guest-physical address). */
    public CodePages(long top) {
        long pages = (top + CpuMemory.PAGE_SIZE - 1) >>> 12;
        if (pages > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("guest RAM up to 0x" + Long.toHexString(top) + " is beyond what the software CPU tracks");
        }
        this.state = new byte[(int) pages];
        this.limit = pages << 12;
    }

    /** The vCPUs, fixed before any of them runs. */
    public void setLinks(List<VcpuLink> links) {
        this.links = List.copyOf(links);
    }

    long epoch() {
        return (long) EPOCH.getVolatile(this);
    }

    /** Whether writes to {@code page} must be checked (the TLB gives it no fast write entry). */
    boolean isWatched(long page) {
        return page < limit && (byte) STATE.getOpaque(state, (int) (page >>> 12)) != UNWATCHED;
    }

    /** Returns once {@code page} is watched and every running vCPU knows it; {@code me} is the caller's vCPU. */
    void watch(long page, VcpuLink me) {
        if (page >= limit) {
            return; // not RAM: nothing writes it through a TLB
        }
        int pn = (int) (page >>> 12);
        for (int spins = 0; ; spins++) {
            byte st = (byte) STATE.getVolatile(state, pn);
            if (st == WATCHED) {
                return;
            }
            if (st == UNWATCHED && STATE.compareAndSet(state, pn, UNWATCHED, WATCHING)) {
                handshake(me);
                STATE.setVolatile(state, pn, WATCHED); // nobody else changes a page that is being watched
                return;
            }
            if (st == WATCHING) {
                me.waitStep(spins); // another vCPU's handshake for this page
            }
        }
    }

    /** Raises the epoch and waits until every other vCPU has caught up with it (or is quiescent). */
    private void handshake(VcpuLink me) {
        long target = (long) EPOCH.getAndAdd(this, 1L) + 1;
        for (VcpuLink l : links) {
            if (l != me) {
                l.poke();
            }
        }
        me.sync();
        for (VcpuLink l : links) {
            for (int spins = 0; l != me && !l.acked(target); spins++) {
                me.waitStep(spins);
            }
        }
    }

    /**
     * After a checked write into {@code page} by vCPU {@code me} (whose own blocks of the page the caller dropped):
     * unwatches it and tells every other vCPU. Returns whether it was watched.
     */
    boolean written(long page, VcpuLink me) {
        if (page >= limit) {
            return false;
        }
        int pn = (int) (page >>> 12);
        for (;;) {
            byte st = (byte) STATE.getVolatile(state, pn);
            if (st == UNWATCHED) {
                return false;
            }
            if (st == WATCHING || STATE.compareAndSet(state, pn, WATCHED, UNWATCHED)) {
                for (VcpuLink l : links) {
                    if (l != me) {
                        l.post(page);
                    }
                }
                return true;
            }
        }
    }

    /** A device (not a vCPU) wrote guest RAM {@code [pa, pa + length)} directly. */
    public void deviceWrote(long pa, long length) {
        if (length <= 0) {
            return;
        }
        VarHandle.fullFence(); // the device's stores before the state loads: see CodePages' second invariant
        long last = pa + length - 1;
        for (long p = pa & -CpuMemory.PAGE_SIZE; Long.compareUnsigned(p, last) <= 0 && p < limit; p += CpuMemory.PAGE_SIZE) {
            written(p, null);
        }
    }

    /** Spins a little, then yields: the vCPU waited for may be waiting for a host core. */
    static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
