package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;
import static dev.corral.engine.cpu.state.CpuState.PF;
import static dev.corral.engine.cpu.state.CpuState.SF;
import static dev.corral.engine.cpu.state.CpuState.ZF;

import java.security.SecureRandom;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;

/**
 * The less frequent integer instructions: exchange, bit scans and tests, multiply and divide, compare
 * and exchange, double shifts, ENTER/LEAVE. Flags the manual leaves undefined are left unchanged.
 */
final class IntOps {
    /**
     * What RDRAND and RDSEED return: the host's cryptographic generator (the operating system's entropy behind a DRBG),
     * shared by every vCPU; a guest calls them a few hundred times a boot.
     */
    private static final SecureRandom ENTROPY = new SecureRandom();

    private IntOps() {
    }

    static int exec(Operands x, LockedOps locked, Insn i) {
        long[] g = x.gpr;
        CpuState s = x.s;
        int size = i.size;
        switch (i.op) {
            case Op.XCHG -> {
                long b = x.reg(i.reg, size);
                if (i.rm >= 0) {
                    long a = x.reg(i.rm, size);
                    x.setReg(i.rm, size, b);
                    x.setReg(i.reg, size, a);
                } else {
                    long ad = x.ea(i);
                    long a = x.load(ad, size);
                    x.store(ad, size, b);
                    x.setReg(i.reg, size, a);
                }
            }
            case Op.BSWAP -> {
                int r = i.rm;
                switch (size) {
                    case 8 -> g[r] = Long.reverseBytes(g[r]);
                    case 4 -> g[r] = Integer.reverseBytes((int) g[r]) & 0xffffffffL;
                    default -> g[r] &= ~0xffffL; // undefined for 16 bits; zero, as Intel parts produce
                }
            }
            case Op.CONV_A -> {
                switch (size) {
                    case 2 -> x.setReg(0, 2, (byte) g[0]);
                    case 4 -> x.setReg(0, 4, (short) g[0]);
                    default -> g[0] = (int) g[0];
                }
            }
            case Op.CONV_D -> {
                long sign = (x.reg(0, size) >>> (size * 8 - 1)) & 1;
                x.setReg(2, size, sign == 0 ? 0 : -1L);
            }
            case Op.SHLD, Op.SHRD, Op.SHLD_CL, Op.SHRD_CL -> {
                boolean left = i.op == Op.SHLD || i.op == Op.SHLD_CL;
                int count = (i.op == Op.SHLD || i.op == Op.SHRD) ? (int) i.imm : (int) g[1];
                long ad = i.rm >= 0 ? 0 : x.ea(i);
                long a = i.rm >= 0 ? x.reg(i.rm, size) : x.load(ad, size);
                long r = x.alu.doubleShift(left, size, a, x.reg(i.reg, size), count);
                writeRm(x, i, ad, r);
                s.rflags = x.alu.f;
            }
            case Op.BT_R, Op.BT_I -> bitTest(x, i);
            case Op.BSF, Op.BSR -> {
                // Only ZF is defined. The rest follow AMD parts: CF, OF, SF, AF clear, PF of the result
                // (set for a zero source, which leaves the destination, all 64 bits, unchanged).
                long v = x.readRm(i, size);
                long r;
                if (v == 0) {
                    r = x.reg(i.reg, size);
                } else {
                    r = i.op == Op.BSF ? Long.numberOfTrailingZeros(v) : 63 - Long.numberOfLeadingZeros(v);
                    x.setReg(i.reg, size, r);
                }
                long pf = v == 0 || (Long.bitCount(r & 0xff) & 1) == 0 ? PF : 0;
                s.rflags = (s.rflags & ~Alu.ARITH) | (v == 0 ? ZF : 0) | pf;
            }
            case Op.TZCNT, Op.LZCNT -> {
                long v = x.readRm(i, size);
                int bits = size * 8;
                int n = v == 0 ? bits
                        : i.op == Op.TZCNT ? Long.numberOfTrailingZeros(v) : Long.numberOfLeadingZeros(v) - (64 - bits);
                x.setReg(i.reg, size, n);
                // SF, AF, PF are undefined: cleared, as AMD parts do; OF is kept.
                s.rflags = (s.rflags & ~(CF | ZF | SF | AF | PF)) | (v == 0 ? CF : 0) | (n == 0 ? ZF : 0);
            }
            case Op.RDRAND -> { // RDRAND and RDSEED: always ready (CF set, the other arithmetic flags clear)
                x.setReg(i.rm, size, ENTROPY.nextLong());
                s.rflags = (s.rflags & ~Alu.ARITH) | CF;
            }
            case Op.POPCNT -> {
                long v = x.readRm(i, size);
                x.setReg(i.reg, size, Long.bitCount(v));
                s.rflags = (s.rflags & ~Alu.ARITH) | (v == 0 ? ZF : 0);
            }
            case Op.MUL, Op.IMUL1 -> MulDiv.widening(x, i, i.op == Op.IMUL1);
            case Op.DIV, Op.IDIV -> MulDiv.divide(x, i, i.op == Op.IDIV);
            case Op.IMUL2 -> MulDiv.imul(x, i, x.reg(i.reg, size), x.readRm(i, size));
            case Op.IMUL3 -> MulDiv.imul(x, i, x.readRm(i, size), i.imm);
            case Op.CMPXCHG -> {
                long ad = i.rm >= 0 ? 0 : x.ea(i);
                long dest = i.rm >= 0 ? x.reg(i.rm, size) : x.load(ad, size);
                long acc = x.reg(0, size);
                x.alu.sub(size, acc, dest, 0);
                if (acc == dest) {
                    writeRm(x, i, ad, x.reg(i.reg, size));
                } else {
                    if (i.rm < 0) {
                        x.store(ad, size, dest); // the locked cycle writes the old value back
                    } // a register destination is left alone (its upper half too), as AMD parts do
                    x.setReg(0, size, dest);
                }
                s.rflags = x.alu.f;
            }
            case Op.CMPXCHG8B -> {
                long ad = x.ea(i);
                long m = x.mem.read64(ad);
                long expect = (g[2] << 32) | (g[0] & 0xffffffffL);
                if (m == expect) {
                    x.mem.write64(ad, (g[1] << 32) | (g[3] & 0xffffffffL));
                    s.rflags |= ZF;
                } else {
                    x.mem.write64(ad, m);
                    g[0] = m & 0xffffffffL;
                    g[2] = m >>> 32;
                    s.rflags &= ~ZF;
                }
            }
            case Op.CMPXCHG16B -> {
                long ad = x.ea(i);
                if ((ad & 15) != 0) {
                    throw GuestFault.gp("CMPXCHG16B operand at 0x" + Long.toHexString(ad)
                            + " is not 16-byte aligned (rip 0x" + Long.toHexString(i.rip) + ")");
                }
                long lo = x.mem.read64(ad);
                long hi = x.mem.read64(ad + 8);
                if (lo == g[0] && hi == g[2]) {
                    x.mem.write64(ad, g[3]);
                    x.mem.write64(ad + 8, g[1]);
                    s.rflags |= ZF;
                } else {
                    x.mem.write64(ad, lo);
                    x.mem.write64(ad + 8, hi);
                    g[0] = lo;
                    g[2] = hi;
                    s.rflags &= ~ZF;
                }
            }
            case Op.XADD -> {
                long ad = i.rm >= 0 ? 0 : x.ea(i);
                long dest = i.rm >= 0 ? x.reg(i.rm, size) : x.load(ad, size);
                long r = x.alu.add(size, dest, x.reg(i.reg, size), 0);
                if (i.rm >= 0) {
                    x.setReg(i.reg, size, dest);
                    x.setReg(i.rm, size, r);
                } else {
                    x.store(ad, size, r);
                    x.setReg(i.reg, size, dest);
                }
                s.rflags = x.alu.f;
            }
            case Op.LOCKED -> {
                return locked.exec(i);
            }
            case Op.ENTER -> enter(x, i);
            case Op.LEAVE -> {
                long bp = x.stack(i, g[5]);
                long v = x.load(bp, size);
                g[4] = bp + size;
                x.setReg(5, size, v);
            }
            default -> throw new IllegalStateException("decoder produced unknown op " + i.op);
        }
        return Operands.NEXT;
    }

    static void writeRm(Operands x, Insn i, long ad, long v) {
        if (i.rm >= 0) {
            x.setReg(i.rm, i.size, v);
        } else {
            x.store(ad, i.size, v);
        }
    }

    /** BT/BTS/BTR/BTC. The register form of a memory operand addresses the bit string beyond the operand. */
    private static void bitTest(Operands x, Insn i) {
        int size = i.size;
        int bits = size * 8;
        long off = i.op == Op.BT_I ? i.imm : Alu.signExtend(x.reg(i.reg, size), size);
        int bit = (int) (off & (bits - 1));
        long ad = 0;
        long v;
        if (i.rm >= 0) {
            v = x.reg(i.rm, size);
        } else {
            ad = x.ea(i);
            if (i.op == Op.BT_R) {
                ad += (off >> Integer.numberOfTrailingZeros(bits)) * size;
            }
            v = x.load(ad, size);
        }
        long cf = (v >>> bit) & 1;
        long m = 1L << bit;
        long r = switch (i.sub) {
            case 1 -> v | m;
            case 2 -> v & ~m;
            case 3 -> v ^ m;
            default -> v;
        };
        if (i.sub != 0) {
            writeRm(x, i, ad, r);
        }
        x.s.rflags = (x.s.rflags & ~CF) | cf;
    }

    private static void enter(Operands x, Insn i) {
        long[] g = x.gpr;
        int size = i.size;
        int level = (int) (i.imm2 & 31);
        long sp = x.stack(i, g[4] - size);
        x.stack(i, g[4] - size * (level + 1L) - i.imm); // the whole frame, before anything is written
        x.store(sp, size, x.reg(5, size));
        long frame = sp;
        long bp = g[5];
        for (int k = 1; k < level; k++) {
            bp -= size;
            sp -= size;
            x.store(sp, size, x.load(x.stack(i, bp), size));
        }
        if (level > 0) {
            sp -= size;
            x.store(sp, size, frame);
        }
        x.setReg(5, size, frame);
        g[4] = sp - i.imm;
    }
}
