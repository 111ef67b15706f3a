package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.GuestFault;

/**
 * MUL, IMUL and DIV, IDIV at every width. Multiplication sets CF = OF when the result does not fit the
 * destination (SF, ZF, AF, PF are undefined and left unchanged); division raises #DE on a zero divisor
 * and on a quotient that does not fit, and leaves all flags unchanged.
 */
final class MulDiv {
    private MulDiv() {
    }

    /** One-operand MUL/IMUL: rDX:rAX = rAX * r/m (AX = AL * r/m8). */
    static void widening(Operands x, Insn i, boolean signed) {
        int size = i.size;
        long[] g = x.gpr;
        long b = x.readRm(i, size);
        long a = x.reg(0, size);
        boolean over;
        if (size == 8) {
            long lo = a * b;
            long hi = signed ? Math.multiplyHigh(a, b) : Math.unsignedMultiplyHigh(a, b);
            g[0] = lo;
            g[2] = hi;
            over = signed ? hi != (lo >> 63) : hi != 0;
        } else {
            int bits = size * 8;
            long p = signed ? Alu.signExtend(a, size) * Alu.signExtend(b, size) : a * b;
            if (size == 1) {
                x.setReg(0, 2, p);
                over = signed ? p != (byte) p : (p >>> 8) != 0;
            } else {
                x.setReg(0, size, p);
                x.setReg(2, size, p >>> bits);
                over = signed ? p != Alu.signExtend(p, size) : (p >>> bits) != 0;
            }
        }
        setCfOf(x, over);
    }

    /** Two- and three-operand IMUL: reg = a * b truncated. */
    static void imul(Operands x, Insn i, long a, long b) {
        int size = i.size;
        boolean over;
        long r;
        if (size == 8) {
            r = a * b;
            over = Math.multiplyHigh(a, b) != (r >> 63);
        } else {
            long p = Alu.signExtend(a, size) * Alu.signExtend(b, size);
            r = p;
            over = p != Alu.signExtend(p, size);
        }
        x.setReg(i.reg, size, r);
        setCfOf(x, over);
    }

    private static void setCfOf(Operands x, boolean over) {
        x.s.rflags = (x.s.rflags & ~(CF | OF)) | (over ? CF | OF : 0);
    }

    static void divide(Operands x, Insn i, boolean signed) {
        int size = i.size;
        long[] g = x.gpr;
        long d = x.readRm(i, size);
        if (d == 0) {
            throw GuestFault.de("divide by zero at rip 0x" + Long.toHexString(i.rip));
        }
        if (size == 8) {
            divide128(x, i, g[2], g[0], d, signed);
            return;
        }
        int bits = size * 8;
        long n = size == 1 ? g[0] & 0xffff : (x.reg(2, size) << bits) | x.reg(0, size);
        long q;
        long r;
        if (signed) {
            long sn = Alu.signExtend(n, size * 2);
            long sd = Alu.signExtend(d, size);
            if (size == 4 && sn == Long.MIN_VALUE && sd == -1) {
                throw overflow(i);
            }
            q = sn / sd;
            r = sn % sd;
            if (q != Alu.signExtend(q, size)) {
                throw overflow(i);
            }
        } else {
            q = Long.divideUnsigned(n, d);
            r = Long.remainderUnsigned(n, d);
            if ((q & ~Alu.mask(size)) != 0) {
                throw overflow(i);
            }
        }
        if (size == 1) {
            x.setReg(0, 2, (q & 0xff) | ((r & 0xff) << 8));
        } else {
            x.setReg(0, size, q);
            x.setReg(2, size, r);
        }
    }

    private static GuestFault overflow(Insn i) {
        return GuestFault.de("quotient does not fit the destination at rip 0x" + Long.toHexString(i.rip));
    }

    private static void divide128(Operands x, Insn i, long hi, long lo, long d, boolean signed) {
        long[] g = x.gpr;
        if (!signed) {
            if (Long.compareUnsigned(hi, d) >= 0) {
                throw overflow(i);
            }
            long q = udiv128(hi, lo, d);
            g[0] = q;
            g[2] = lo - q * d; // hi:lo = q*d + r with r < 2^64, so r is the low word's difference
            return;
        }
        boolean negN = hi < 0;
        boolean negD = d < 0;
        if (negN) {
            lo = -lo;
            hi = ~hi + (lo == 0 ? 1 : 0);
        }
        long ud = negD ? -d : d;
        if (Long.compareUnsigned(hi, ud) >= 0) {
            throw overflow(i);
        }
        long q = udiv128(hi, lo, ud);
        long r = lo - q * ud;
        if (negN != negD) {
            if (Long.compareUnsigned(q, Long.MIN_VALUE) > 0) {
                throw overflow(i);
            }
            q = -q;
        } else if (q < 0) {
            throw overflow(i);
        }
        g[0] = q;
        g[2] = negN ? -r : r;
    }

    /**
     * Unsigned quotient of hi:lo / d for hi < d (unsigned); allocation-free, as DIV is common (a Linux boot divides
     * 128 by 64 bits a million times, in its RSA arithmetic). Knuth's algorithm D with two 32-bit quotient digits, the
     * divisor normalized so its top bit is set (as in Hacker's Delight's divlu): two hardware divisions and at most
     * two corrections each, instead of a loop over 64 bits.
     */
    static long udiv128(long hi, long lo, long d) {
        if (hi == 0) {
            return Long.divideUnsigned(lo, d);
        }
        int s = Long.numberOfLeadingZeros(d);
        long v = d << s;
        long vn1 = v >>> 32;
        long vn0 = v & 0xffff_ffffL;
        long un32 = hi << s | (s == 0 ? 0 : lo >>> (64 - s));
        long un10 = lo << s;
        long q1 = quotientDigit(un32, un10 >>> 32, vn1, vn0);
        long un21 = (un32 << 32) + (un10 >>> 32) - q1 * v; // exact modulo 2^64: the true value is below v
        long q0 = quotientDigit(un21, un10 & 0xffff_ffffL, vn1, vn0);
        return q1 << 32 | q0;
    }

    /**
     * One 32-bit digit of algorithm D: {@code (u:next) / (vn1:vn0)} estimated from {@code u / vn1} and corrected (at
     * most twice) while the estimate times the divisor's low half exceeds what is left.
     */
    private static long quotientDigit(long u, long next, long vn1, long vn0) {
        final long b = 1L << 32;
        long q = Long.divideUnsigned(u, vn1);
        long rhat = u - q * vn1;
        while (Long.compareUnsigned(q, b) >= 0 || Long.compareUnsigned(q * vn0, rhat << 32 | next) > 0) {
            q--;
            rhat += vn1;
            if (Long.compareUnsigned(rhat, b) >= 0) {
                break;
            }
        }
        return q;
    }
}
