package dev.corral.engine.cpu.state;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;

/**
 * The arithmetic flags of translated code, computed only when something can observe them. A translated
 * instruction that sets the flags records what it did (a kind, its operand size, its operands and its
 * result, as {@link CpuState#ccOp} and friends or as locals of the translated block); the flags are
 * computed from that record when an instruction reads them, when the code faults, or when the interpreter
 * takes over. These are the only flag formulas: {@link Alu} computes its eager flags with them too.
 */
public final class LazyFlags {
    private LazyFlags() {
    }

    /**
     * Kinds of flag-setting operations ({@code ccOp = kind << 4 | size}). ADC and SBB record the result with the
     * carry in: their flags follow from the operands and the result alone, but not by ADD's and SUB's shortcuts.
     */
    public static final int ADD = 1, SUB = 2, LOGIC = 3, INC = 4, DEC = 5, SHL = 6, SHR = 7, SAR = 8, ADC = 9, SBB = 10;
    /**
     * A bit of {@code ccOp}: an operation that replaced only CF and OF (IMUL, ROL, ROR) came after the one in the
     * low byte (or after exact flags, when the low byte is zero); {@code ccX} holds the CF and OF it left.
     */
    public static final int CF_OF = 1 << 8;

    public static int op(int kind, int size) {
        return kind << 4 | size;
    }

    /**
     * RFLAGS after operation {@code ccOp} on {@code a} and {@code b} (zero-extended to the operand size) with
     * result {@code r}; the other bits of {@code f} are kept. INC and DEC keep CF, which {@code b} holds (0 or 1).
     */
    public static long compute(int ccOp, long f, long a, long b, long r, long x) {
        long flags = (ccOp & 0xff) == 0 ? f : compute(ccOp & 0xff, f, a, b, r);
        return (ccOp & CF_OF) == 0 ? flags : (flags & ~(CF | OF)) | (x & (CF | OF));
    }

    /** RFLAGS after the single operation {@code ccOp} (no {@link #CF_OF} part). */
    public static long compute(int ccOp, long f, long a, long b, long r) {
        int size = ccOp & 15;
        int sh = size * 8 - 1;
        long m = Alu.mask(size);
        a &= m;
        r &= m;
        return switch (ccOp >>> 4) {
            case ADD, ADC -> addFlags(f, sh, a, b & m, r);
            case SUB, SBB -> subFlags(f, sh, a, b & m, r);
            case LOGIC -> (f & ~Alu.ARITH) | Alu.szp(r, sh);
            case INC -> (addFlags(f, sh, a, 1, r) & ~CF) | (b & CF);
            case DEC -> (subFlags(f, sh, a, 1, r) & ~CF) | (b & CF);
            case SHL -> { // SHL, SHR, SAR: AF (undefined) set, as AMD parts do; OF by the count-1 formula
                int c = (int) b;
                long cf = c <= size * 8 ? (a >>> (size * 8 - c)) & 1 : 0;
                long of = ((r >>> sh) & 1) ^ cf;
                yield (f & ~Alu.ARITH) | cf | (of << 11) | AF | Alu.szp(r, sh);
            }
            case SHR -> {
                int c = (int) b;
                long cf = (a >>> (c - 1)) & 1;
                long of = c == 1 ? (a >>> sh) & 1 : 0; // undefined above 1: zero, as AMD parts do
                yield (f & ~Alu.ARITH) | cf | (of << 11) | AF | Alu.szp(r, sh);
            }
            case SAR -> {
                long cf = (Alu.signExtend(a, size) >> ((int) b - 1)) & 1;
                yield (f & ~Alu.ARITH) | cf | AF | Alu.szp(r, sh);
            }
            default -> throw new IllegalStateException("no lazy flags kind " + (ccOp >>> 4));
        };
    }

    /** ADD's and ADC's flags (the carry in is part of {@code r}); {@code sh} is the sign bit's index. */
    static long addFlags(long f, int sh, long a, long b, long r) {
        long cf = (((a & b) | ((a | b) & ~r)) >>> sh) & 1;
        long of = (((a ^ r) & (b ^ r)) >>> sh) & 1;
        return (f & ~Alu.ARITH) | cf | (of << 11) | ((a ^ b ^ r) & AF) | Alu.szp(r, sh);
    }

    /** SUB's, SBB's and CMP's flags (the borrow in is part of {@code r}). */
    static long subFlags(long f, int sh, long a, long b, long r) {
        long cf = (((~a & b) | ((~a | b) & r)) >>> sh) & 1;
        long of = (((a ^ b) & (a ^ r)) >>> sh) & 1;
        return (f & ~Alu.ARITH) | cf | (of << 11) | ((a ^ b ^ r) & AF) | Alu.szp(r, sh);
    }

    /** Condition code {@code cc} (as Jcc numbers them) of the state's flags, exact or lazy: 1 when it holds. */
    public static int cond(CpuState s, int cc) {
        s.materializeFlags();
        return Alu.holds(s.rflags, cc) ? 1 : 0;
    }

    /** ROL (kind 0) or ROR (kind 1) of {@code a} (zero-extended) by {@code count} (masked to 5 or 6 bits, not zero). */
    public static long rotate(int kind, int size, long a, int count) {
        int bits = size * 8;
        int k = count & (bits - 1);
        long m = Alu.mask(size);
        if (k == 0) {
            return a;
        }
        return kind == 0 ? ((a << k) | (a >>> (bits - k))) & m : ((a >>> k) | (a << (bits - k))) & m;
    }

    /** The CF and OF (as RFLAGS bits) that ROL (kind 0) or ROR (kind 1) leave with result {@code r}; others stay. */
    public static long rotateCfOf(int kind, int size, long r) {
        int sh = size * 8 - 1;
        long cf = kind == 0 ? r & 1 : (r >>> sh) & 1;
        long of = kind == 0 ? ((r >>> sh) & 1) ^ cf : ((r >>> sh) ^ (r >>> (sh - 1))) & 1;
        return cf | (of << 11);
    }

    /** CF of the state's flags, exact or lazy (INC and DEC keep it). */
    public static long carry(CpuState s) {
        s.materializeFlags();
        return s.rflags & CF;
    }
}
