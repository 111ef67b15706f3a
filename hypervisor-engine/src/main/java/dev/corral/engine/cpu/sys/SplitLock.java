package dev.corral.engine.cpu.sys;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The split lock of a VM's vCPUs ({@link CpuGroup}): a locked access that an aligned compare-and-set cannot make
 * atomic (crossing 8 bytes or a page, CMPXCHG16B) takes it, and every aligned locked access waits while it is held.
 */
public final class SplitLock {

    private static final VarHandle SPLIT;

    static {
        try {
            SPLIT = MethodHandles.lookup().findVarHandle(SplitLock.class, "split", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final List<VcpuLink> links;
    /** 1 while a vCPU holds the split lock. */
    @SuppressWarnings("unused") // through SPLIT
    private volatile int split;

    /** The lock of the vCPUs at {@code links}. */
    public SplitLock(List<VcpuLink> links) {
        this.links = links;
    }

    /** More than one vCPU: locked accesses must agree with each other, not only be atomic. */
    public boolean shared() {
        return links.size() > 1;
    }

    boolean locked() {
        return (int) SPLIT.getVolatile(this) != 0;
    }

    /** Takes the split lock and waits until no other vCPU is inside an aligned locked access. */
    public void lock(VcpuLink me) {
        for (int spins = 0; !SPLIT.compareAndSet(this, 0, 1); spins++) {
            me.waitStep(spins);
        }
        for (VcpuLink l : links) {
            for (int spins = 0; l != me && l.inAtomic(); spins++) {
                CodePages.backoff(spins); // inside one instruction, which cannot wait for anything
            }
        }
    }

    public void unlock() {
        SPLIT.setVolatile(this, 0);
    }
}
