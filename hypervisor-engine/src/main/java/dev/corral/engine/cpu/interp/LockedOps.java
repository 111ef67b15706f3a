package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.ZF;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.sys.SplitLock;
import dev.corral.engine.cpu.sys.VcpuLink;

/**
 * Read-modify-writes with a LOCK prefix, and XCHG with memory (locked without one): ADD ADC SUB SBB AND OR XOR,
 * NOT NEG INC DEC, BTS BTR BTC, XADD, XCHG, CMPXCHG, CMPXCHG8B, CMPXCHG16B. The decoder marks them
 * {@link Op#LOCKED} with the operation in {@link Insn#lockedOp}.
 *
 * <p>On a memory that offers it ({@link CpuMemory#lockedRam}: guest RAM of a system CPU), an operand within one
 * aligned 8-byte word is updated by a compare-and-set loop on that word, so the update is atomic for every other
 * vCPU and device thread, and a full fence; the new value is computed from each value read until the swap
 * succeeds, and registers and flags are set from the value that succeeded. Any other operand (crossing 8 bytes or
 * a page, CMPXCHG16B's 16, MMIO, a user-mode CPU's memory) is a plain read and write, under the VM's split lock
 * when other vCPUs share the memory ({@link CpuGroup}). Faults are precise: the operand is checked as a store
 * before anything is written.
 */
public final class LockedOps {

    private static final VarHandle WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    private final Operands x;
    private final SplitLock split;
    private final VcpuLink link;
    /** What the last {@link #apply} decided: whether it writes, and the value for the register operand. */
    private boolean writes;
    private long result;

    /** For a CPU that takes {@code split} as {@code link}; both null for a user-mode CPU, which has no other vCPUs. */
    public LockedOps(Operands x, SplitLock split, VcpuLink link) {
        this.x = x;
        this.split = split;
        this.link = link;
    }

    int exec(Insn i) {
        int size = i.lockedOp == Op.CMPXCHG8B ? 8 : i.size;
        long a = x.ea(i);
        if (i.lockedOp == Op.BT_R) {
            int bits = size * 8;
            a += (Alu.signExtend(x.reg(i.reg, size), size) >> Integer.numberOfTrailingZeros(bits)) * size;
        }
        if (i.lockedOp == Op.CMPXCHG16B) {
            cmpxchg16b(i, a);
            return Operands.NEXT;
        }
        long old;
        boolean sharing = split != null && split.shared();
        if ((a & 7) + size <= 8) {
            if (sharing) {
                link.enterAtomic(split);
            }
            try {
                MemorySegment ram = x.mem.lockedRam(a, size);
                if (ram != null) {
                    old = swap(i, ram, x.mem.lockedOffset(), size);
                    finish(i, old);
                    return Operands.NEXT;
                }
            } finally {
                if (sharing) {
                    link.exitAtomic();
                }
            }
        }
        if (sharing) {
            split.lock(link);
        }
        try {
            x.storable(a, size);
            old = x.load(a, size);
            apply(i, old);
            x.store(a, size, writes ? result : old); // the locked cycle writes the old value back when it fails
        } finally {
            if (sharing) {
                split.unlock();
            }
        }
        if (split != null) {
            VarHandle.fullFence();
        }
        finish(i, old);
        return Operands.NEXT;
    }

    /** The compare-and-set loop on the aligned word holding the operand; returns the operand's value it replaced. */
    private long swap(Insn i, MemorySegment ram, long offset, int size) {
        long base = offset & ~7L;
        int shift = (int) (offset & 7) * 8;
        long mask = size == 8 ? -1L : ((1L << (size * 8)) - 1) << shift;
        for (;;) {
            long word = (long) WORD.getVolatile(ram, base);
            long old = (word & mask) >>> shift;
            apply(i, old);
            if (!writes) {
                VarHandle.fullFence(); // a locked instruction is a fence even when it writes nothing back
                return old;
            }
            long updated = (word & ~mask) | ((result << shift) & mask);
            if ((boolean) WORD.compareAndSet(ram, base, word, updated)) {
                return old;
            }
        }
    }

    /**
     * Computes the operation on {@code old} into {@link #result}, {@link #writes} and the ALU flags, without touching
     * architectural state (it may run again when the swap fails).
     */
    private void apply(Insn i, long old) {
        int size = i.size;
        Alu alu = x.alu;
        writes = true;
        alu.f = x.s.rflags;
        switch (i.lockedOp) {
            case Op.ALU_RM_R -> result = alu.alu(i.sub, size, old, x.reg(i.reg, size));
            case Op.ALU_RM_I -> result = alu.alu(i.sub, size, old, i.imm);
            case Op.INC -> result = alu.inc(size, old);
            case Op.DEC -> result = alu.dec(size, old);
            case Op.NEG -> result = alu.neg(size, old);
            case Op.NOT -> result = ~old;
            case Op.BT_R, Op.BT_I -> {
                int bits = size * 8;
                long off = i.lockedOp == Op.BT_I ? i.imm : Alu.signExtend(x.reg(i.reg, size), size);
                long m = 1L << (int) (off & (bits - 1));
                result = switch (i.sub) {
                    case 1 -> old | m;
                    case 2 -> old & ~m;
                    default -> old ^ m;
                };
                alu.f = (x.s.rflags & ~CF) | ((old & m) != 0 ? CF : 0);
            }
            case Op.XADD -> result = alu.add(size, old, x.reg(i.reg, size), 0);
            case Op.XCHG -> result = x.reg(i.reg, size);
            case Op.CMPXCHG -> {
                alu.sub(size, x.reg(0, size), old, 0);
                writes = old == x.reg(0, size);
                result = x.reg(i.reg, size);
            }
            case Op.CMPXCHG8B -> {
                long expect = (x.gpr[2] << 32) | (x.gpr[0] & 0xffffffffL);
                writes = old == expect;
                result = (x.gpr[1] << 32) | (x.gpr[3] & 0xffffffffL);
                alu.f = writes ? x.s.rflags | ZF : x.s.rflags & ~ZF;
            }
            default -> throw new IllegalStateException("decoder marked op " + i.lockedOp + " as locked");
        }
    }

    /** Registers and flags, from the value the write replaced. */
    private void finish(Insn i, long old) {
        int size = i.size;
        switch (i.lockedOp) {
            case Op.XADD, Op.XCHG -> x.setReg(i.reg, size, old);
            case Op.CMPXCHG -> {
                if (old != x.reg(0, size)) {
                    x.setReg(0, size, old);
                }
            }
            case Op.CMPXCHG8B -> {
                if (!writes) {
                    x.gpr[0] = old & 0xffffffffL;
                    x.gpr[2] = old >>> 32;
                }
            }
            default -> { }
        }
        x.s.rflags = x.alu.f;
    }

    /** CMPXCHG16B: no 16-byte compare-and-set exists here, so it is always a split access. */
    private void cmpxchg16b(Insn i, long a) {
        if ((a & 15) != 0) {
            throw GuestFault.gp("CMPXCHG16B operand at 0x" + Long.toHexString(a) + " is not 16-byte aligned (rip 0x"
                    + Long.toHexString(i.rip) + ")");
        }
        long[] g = x.gpr;
        boolean sharing = split != null && split.shared();
        if (sharing) {
            split.lock(link);
        }
        try {
            x.storable(a, 16);
            long lo = x.mem.read64(a);
            long hi = x.mem.read64(a + 8);
            if (lo == g[0] && hi == g[2]) {
                x.mem.write64(a, g[3]);
                x.mem.write64(a + 8, g[1]);
                x.s.rflags |= ZF;
            } else {
                x.mem.write64(a, lo); // the locked cycle writes the old value back
                x.mem.write64(a + 8, hi);
                g[0] = lo;
                g[2] = hi;
                x.s.rflags &= ~ZF;
            }
        } finally {
            if (sharing) {
                split.unlock();
            }
        }
        VarHandle.fullFence();
    }
}
