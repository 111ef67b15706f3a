package dev.corral.engine.cpu.state;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;
import static dev.corral.engine.cpu.state.CpuState.PF;
import static dev.corral.engine.cpu.state.CpuState.SF;
import static dev.corral.engine.cpu.state.CpuState.ZF;

/**
 * Integer arithmetic with the flags exactly as the hardware defines them. Each operation returns the
 * result (zero-extended to its size) and leaves the new RFLAGS in {@link #f} without touching the state,
 * so that the caller commits flags only after its memory write succeeded. Flags the manual leaves
 * undefined get fixed, documented values (noted per operation).
 */
public final class Alu {

    public static final long ARITH = CF | PF | AF | ZF | SF | OF;

    private final CpuState s;
    /** RFLAGS after the last operation. */
    public long f;

    public Alu(CpuState s) {
        this.s = s;
    }

    /** Whether condition code {@code cc} (Jcc's numbering) holds for the flags {@code f}. */
    public static boolean holds(long f, int cc) {
        boolean r = switch (cc >> 1) {
            case 0 -> (f & OF) != 0;
            case 1 -> (f & CF) != 0;
            case 2 -> (f & ZF) != 0;
            case 3 -> (f & (CF | ZF)) != 0;
            case 4 -> (f & SF) != 0;
            case 5 -> (f & PF) != 0;
            case 6 -> (((f >>> 7) ^ (f >>> 11)) & 1) != 0;
            default -> (f & ZF) != 0 || (((f >>> 7) ^ (f >>> 11)) & 1) != 0;
        };
        return r ^ ((cc & 1) != 0);
    }

    public static long mask(int size) {
        return size == 8 ? -1L : (1L << (size * 8)) - 1;
    }

    public static long signExtend(long v, int size) {
        return switch (size) {
            case 1 -> (byte) v;
            case 2 -> (short) v;
            case 4 -> (int) v;
            default -> v;
        };
    }

    /** ZF, SF and PF of a result whose sign bit is bit {@code sh}. */
    static long szp(long r, int sh) {
        long fl = (r == 0 ? ZF : 0) | (((r >>> sh) & 1) << 7);
        return fl | ((Long.bitCount(r & 0xff) & 1) == 0 ? PF : 0);
    }

    public long add(int size, long a, long b, long c) {
        int sh = size * 8 - 1;
        long m = mask(size);
        a &= m;
        b &= m;
        long r = (a + b + c) & m;
        f = LazyFlags.addFlags(s.rflags, sh, a, b, r);
        return r;
    }

    public long sub(int size, long a, long b, long c) {
        int sh = size * 8 - 1;
        long m = mask(size);
        a &= m;
        b &= m;
        long r = (a - b - c) & m;
        f = LazyFlags.subFlags(s.rflags, sh, a, b, r);
        return r;
    }

    /** AND/OR/XOR/TEST: CF = OF = 0; AF is undefined and cleared. */
    public long logic(int size, long r) {
        r &= mask(size);
        f = (s.rflags & ~ARITH) | szp(r, size * 8 - 1);
        return r;
    }

    /** The eight group-1 operations: ADD OR ADC SBB AND SUB XOR CMP. */
    public long alu(int op, int size, long a, long b) {
        return switch (op) {
            case 0 -> add(size, a, b, 0);
            case 1 -> logic(size, a | b);
            case 2 -> add(size, a, b, s.rflags & CF);
            case 3 -> sub(size, a, b, s.rflags & CF);
            case 4 -> logic(size, a & b);
            case 6 -> logic(size, a ^ b);
            default -> sub(size, a, b, 0); // 5 SUB, 7 CMP
        };
    }

    public long inc(int size, long a) {
        long cf = s.rflags & CF;
        long r = add(size, a, 1, 0);
        f = (f & ~CF) | cf;
        return r;
    }

    public long dec(int size, long a) {
        long cf = s.rflags & CF;
        long r = sub(size, a, 1, 0);
        f = (f & ~CF) | cf;
        return r;
    }

    public long neg(int size, long a) {
        return sub(size, 0, a, 0);
    }

    /**
     * Group-2 shifts and rotates: 0 ROL, 1 ROR, 2 RCL, 3 RCR, 4 SHL, 5 SHR, 6 SAL (= SHL), 7 SAR. The count
     * is masked to 5 bits (6 for 64-bit operands); a zero count leaves the flags alone. OF is computed by
     * the count-1 formula for every count (the manual leaves it undefined above 1); AF (undefined) is set
     * by SHL, SHR and SAR with a non-zero count, as AMD parts do.
     */
    public long shift(int kind, int size, long a, int count) {
        int bits = size * 8;
        int sh = bits - 1;
        long m = mask(size);
        a &= m;
        int c = count & (size == 8 ? 63 : 31);
        f = s.rflags;
        if (c == 0) {
            return a;
        }
        long r;
        switch (kind) {
            case 0, 1 -> {
                r = LazyFlags.rotate(kind, size, a, c);
                f = (f & ~(CF | OF)) | LazyFlags.rotateCfOf(kind, size, r);
                return r;
            }
            case 2, 3 -> {
                int k = size < 4 ? c % (bits + 1) : c;
                r = a;
                long carry = f & CF;
                long of;
                if (kind == 2) {
                    for (int n = 0; n < k; n++) {
                        long out = (r >>> sh) & 1;
                        r = ((r << 1) | carry) & m;
                        carry = out;
                    }
                    of = ((r >>> sh) & 1) ^ carry;
                } else {
                    for (int n = 0; n < k; n++) {
                        long out = r & 1;
                        r = (r >>> 1) | (carry << sh);
                        carry = out;
                    }
                    // top two result bits: MSB(dest) XOR CF for a count of 1, and what AMD parts give above
                    of = ((r >>> sh) ^ (r >>> (sh - 1))) & 1;
                }
                f = (f & ~(CF | OF)) | carry | (of << 11);
                return r;
            }
            case 4, 6 -> {
                r = c < 64 ? (a << c) & m : 0;
                f = LazyFlags.compute(LazyFlags.op(LazyFlags.SHL, size), f, a, c, r);
            }
            case 5 -> {
                r = a >>> c;
                f = LazyFlags.compute(LazyFlags.op(LazyFlags.SHR, size), f, a, c, r);
            }
            default -> {
                r = (signExtend(a, size) >> c) & m;
                f = LazyFlags.compute(LazyFlags.op(LazyFlags.SAR, size), f, a, c, r);
            }
        }
        return r;
    }

    /** SHLD/SHRD: {@code a} shifted with bits coming in from {@code b}; OF by the count-1 formula. */
    public long doubleShift(boolean left, int size, long a, long b, int count) {
        int bits = size * 8;
        int sh = bits - 1;
        long m = mask(size);
        a &= m;
        b &= m;
        int c = count & (size == 8 ? 63 : 31);
        f = s.rflags;
        if (c == 0) {
            return a;
        }
        long r;
        long cf;
        if (size == 2 && c > 16) {
            // Undefined; AMD parts shift through a:b:b (left) and b:b:a (right), 48 bits wide, and clear CF.
            long wide = left ? (a << 32) | (b << 16) | b : (b << 32) | (b << 16) | a;
            r = left ? (wide >>> (32 - c)) & m : (wide >>> c) & m;
            cf = 0;
        } else if (left) {
            r = ((a << c) | (b >>> (bits - c))) & m;
            cf = (a >>> (bits - c)) & 1;
        } else {
            r = ((a >>> c) | (b << (bits - c))) & m;
            cf = (a >>> (c - 1)) & 1;
        }
        // OF is defined for a count of 1 only; AMD parts compute it as SHL/ROR do for every count.
        long of = left ? ((r >>> sh) ^ cf) & 1 : ((r >>> sh) ^ (r >>> (sh - 1))) & 1;
        f = (f & ~ARITH) | cf | (of << 11) | AF | szp(r, sh); // AF undefined: set, as AMD parts do
        return r;
    }
}
