package dev.corral.engine.cpu;

/**
 * A software x86-64 CPU for 64-bit user-mode code: decodes guest code into cached blocks and interprets
 * them against a {@link CpuMemory}. One instance per vCPU; instances share nothing.
 *
 * <p>Guest input can only ever produce a {@link CpuExit}: unimplemented or invalid encodings are #UD,
 * memory faults are #PF at the faulting instruction with nothing of it committed.
 */
public final class Cpu {

    private static final CpuExit.BudgetSpent BUDGET_SPENT = new CpuExit.BudgetSpent();

    private final CpuState state;
    private final CpuMemory memory;
    private final BlockCache cache = new BlockCache();
    private final Decoder decoder;
    private final Interp interp;
    private long retired;

    public Cpu(CpuState state, CpuMemory memory) {
        this(state, memory, CpuidModel.standard());
    }

    public Cpu(CpuState state, CpuMemory memory, CpuidModel cpuid) {
        this.state = state;
        this.memory = memory;
        this.decoder = new Decoder(memory, cpuid);
        this.interp = new Interp(state, memory, cpuid);
        memory.setCodeWriteListener(cache);
    }

    public CpuState state() {
        return state;
    }

    /** Instructions executed so far (a REP string instruction counts once per resumption). */
    public long retired() {
        return retired;
    }

    /** Executes up to {@code budget} instructions and says why it stopped. */
    public CpuExit run(long budget) {
        long left = budget;
        long done = 0;
        Block b = null;
        try {
            while (left > 0) {
                long rip = state.rip;
                b = cache.find(rip);
                if (b == null) {
                    b = decodeBlock(rip);
                    if (b == null) {
                        return decodeExit;
                    }
                }
                Insn[] insns = b.insns;
                int n = insns.length;
                for (int k = 0; ; ) {
                    Insn i = insns[k++];
                    int r = interp.exec(i);
                    left--;
                    done++;
                    if (r != Interp.NEXT) {
                        if (r == Interp.EXIT) {
                            return interp.takeExit();
                        }
                        break;
                    }
                    state.rip = i.next;
                    if (k == n || left == 0 || !b.valid) {
                        break;
                    }
                }
            }
            return BUDGET_SPENT;
        } catch (MemoryFault f) {
            return pageFault(f);
        } catch (GuestFault g) {
            return new CpuExit.Fault(g.vector, g.errorCode, 0, g.getMessage());
        } finally {
            retired += done;
        }
    }

    private CpuExit decodeExit;

    /** Decodes a block at {@code rip}; null with {@link #decodeExit} set if its first instruction faults. */
    private Block decodeBlock(long rip) {
        try {
            Block b = decoder.decodeBlock(rip);
            cache.add(b);
            return b;
        } catch (MemoryFault f) {
            decodeExit = pageFault(f);
        } catch (GuestFault g) {
            decodeExit = new CpuExit.Fault(g.vector, g.errorCode, 0, g.getMessage());
        }
        return null;
    }

    private static CpuExit.Fault pageFault(MemoryFault f) {
        long code = 4; // user-mode access
        if (f.access() == MemoryFault.Access.WRITE) {
            code |= 2;
        } else if (f.access() == MemoryFault.Access.EXECUTE) {
            code |= 0x10;
        }
        return new CpuExit.Fault(CpuExit.Fault.PF, code, f.address(), f.getMessage());
    }

    /** Number of decoded blocks currently cached (for tests of invalidation). */
    int cachedBlocks() {
        return cache.size();
    }
}
