package dev.corral.engine.cpu.sys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One vCPU's end of the agreements between the vCPUs of a VM ({@link CpuGroup}): how far it has caught up with
 * the code-page registry, the code pages other threads wrote that it must drop blocks of, and whether it is inside
 * a locked access. Other threads only read {@link #ack} and {@link #inAtomic} and {@link #post} to it; everything
 * else belongs to the vCPU's thread.
 *
 * <p>{@code ack} is the registry epoch this vCPU has caught up with (its TLB holds no fast write entry to a page
 * that was watched at that epoch), {@link #QUIESCENT} while it touches no guest memory through its TLB (outside
 * {@link Cpu#run}, inside an MMIO access), {@link #CATCHING_UP} while it leaves that state.
 */
public final class VcpuLink {

    static final long QUIESCENT = Long.MAX_VALUE, CATCHING_UP = -1;
    /** Pages queued beyond this many are replaced by dropping every block (a vCPU asleep while others write code). */
    private static final int INBOX_LIMIT = 256;

    private static final VarHandle ACK, ATTENTION, IN_ATOMIC;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ACK = l.findVarHandle(VcpuLink.class, "ack", long.class);
            ATTENTION = l.findVarHandle(VcpuLink.class, "attention", boolean.class);
            IN_ATOMIC = l.findVarHandle(VcpuLink.class, "inAtomic", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final CodePages codes;
    @SuppressWarnings("unused") // through ACK
    private volatile long ack = QUIESCENT;
    /** Something for the vCPU to do at its next block boundary: a new epoch, or pages in the inbox. */
    @SuppressWarnings("unused") // through ATTENTION
    private volatile boolean attention;
    @SuppressWarnings("unused") // through IN_ATOMIC
    private volatile int inAtomic;

    // ---- the vCPU's thread only ----
    private PagedMemory memory;
    private CodeCache cache;
    private long seenEpoch = -1;
    private int depth;

    // ---- guarded by inbox ----
    private final Object inbox = new Object();
    private long[] pages = new long[16];
    private int queued;
    private boolean overflow;

    public VcpuLink(CodePages codes) {
        this.codes = codes;
    }

    /** Binds the vCPU's TLB and block cache (once, when its Cpu is made). */
    public void attach(PagedMemory memory, CodeCache cache) {
        if (this.memory != null) {
            throw new IllegalStateException("this vCPU already has a CPU");
        }
        this.memory = memory;
        this.cache = cache;
    }

    // ---- for other threads ----

    /** True when this vCPU caught up with {@code epoch} or touches no guest memory through its TLB now. */
    boolean acked(long epoch) {
        long a = (long) ACK.getVolatile(this);
        return a == QUIESCENT || a >= epoch;
    }

    boolean inAtomic() {
        return (int) IN_ATOMIC.getVolatile(this) != 0;
    }

    /** Asks the vCPU to catch up with the registry at its next block boundary. */
    void poke() {
        ATTENTION.setVolatile(this, true);
    }

    /** Queues a physical code page that was written, for the vCPU to drop its blocks of. */
    void post(long page) {
        synchronized (inbox) {
            if (queued == pages.length && queued < INBOX_LIMIT) {
                pages = java.util.Arrays.copyOf(pages, queued * 2);
            }
            if (queued < pages.length) {
                pages[queued++] = page;
            } else {
                overflow = true;
            }
        }
        ATTENTION.setVolatile(this, true); // after the page is queued: clearing it first, the vCPU then drains it
    }

    // ---- the vCPU's own thread ----

    public boolean attention() {
        return (boolean) ATTENTION.getVolatile(this);
    }

    /** At a block boundary, when {@link #attention()}: catch up. */
    public void service() {
        ATTENTION.setVolatile(this, false);
        sync();
    }

    /** Catches up with the registry: drops fast write entries to watched pages, drains the inbox, acknowledges. */
    void sync() {
        long e = codes.epoch();
        if (e != seenEpoch) {
            memory.dropWritesToWatchedPages();
            seenEpoch = e;
        }
        drain();
        ACK.setVolatile(this, e);
    }

    private void drain() {
        long[] got = null;
        int n;
        boolean all;
        synchronized (inbox) {
            n = queued;
            all = overflow;
            if (n > 0 && !all) {
                got = java.util.Arrays.copyOf(pages, n);
            }
            queued = 0;
            overflow = false;
        }
        if (all) {
            cache.dropAll();
        } else {
            for (int k = 0; k < n; k++) {
                cache.codeWritten(got[k]);
            }
        }
    }

    /** Entering {@link Cpu#run} (or delivering an interrupt): from here on guest memory is touched through the TLB. */
    public void enter() {
        if (depth++ == 0) {
            resume();
        }
    }

    public void leave() {
        if (--depth == 0) {
            ACK.setVolatile(this, QUIESCENT);
        }
    }

    /** Around an MMIO access inside {@link #enter}: the device may block, and the TLB is not used meanwhile. */
    void pause() {
        if (depth > 0) {
            ACK.setVolatile(this, QUIESCENT);
        }
    }

    void resume() {
        if (depth > 0) {
            ACK.setVolatile(this, CATCHING_UP); // before reading the epoch: a waiter that saw QUIESCENT is behind it
            ATTENTION.setVolatile(this, false);
            sync();
        }
    }

    /** Before a locked access on an aligned word: waits while another vCPU holds the split lock. */
    public void enterAtomic(SplitLock lock) {
        for (int spins = 0; ; spins++) {
            IN_ATOMIC.setVolatile(this, 1);
            if (!lock.locked()) {
                return;
            }
            IN_ATOMIC.setRelease(this, 0);
            while (lock.locked()) {
                waitStep(spins++);
            }
        }
    }

    public void exitAtomic() {
        IN_ATOMIC.setRelease(this, 0);
    }

    /** One step of a wait for another vCPU: keeps this one answering handshakes, so two waiters never deadlock. */
    void waitStep(int spins) {
        if (attention()) {
            service();
        }
        CodePages.backoff(spins);
    }
}
