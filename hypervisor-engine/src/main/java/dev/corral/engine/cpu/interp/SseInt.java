package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.decode.SseOp;

/**
 * SSE2 packed-integer operations (66 0F opcodes), computed lane by lane on the two 64-bit halves of an
 * XMM register. {@code d} is the destination's index into {@link CpuState#xmm}; {@code bl, bh} the
 * source operand.
 */
public final class SseInt {
    private SseInt() {
    }

    static void exec(Sse sse, Insn i, int op, int d, long bl, long bh) {
        long al = sse.xmm(d);
        long ah = sse.xmm(d + 1);
        long rl;
        long rh;
        switch (op) {
            case 0x60, 0x61, 0x62, 0x6c -> {
                int w = op == 0x6c ? 64 : 8 << (op - 0x60);
                rl = interleave(al, bl, w, false);
                rh = interleave(al, bl, w, true);
            }
            case 0x68, 0x69, 0x6a, 0x6d -> {
                int w = op == 0x6d ? 64 : 8 << (op - 0x68);
                rl = interleave(ah, bh, w, false);
                rh = interleave(ah, bh, w, true);
            }
            case 0x63 -> {
                rl = pack(al, ah, 16, true);
                rh = pack(bl, bh, 16, true);
            }
            case 0x67 -> {
                rl = pack(al, ah, 16, false);
                rh = pack(bl, bh, 16, false);
            }
            case 0x6b -> {
                rl = pack(al, ah, 32, true);
                rh = pack(bl, bh, 32, true);
            }
            case 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3 -> {
                int w = switch (op & 0x0f) {
                    case 1 -> 16;
                    case 2 -> 32;
                    default -> 64;
                };
                int kind = op >= 0xf0 ? 2 : op >= 0xe0 ? 1 : 0; // 0 logical right, 1 arithmetic right, 2 left
                int count = Long.compareUnsigned(bl, 255) > 0 ? 255 : (int) bl;
                rl = shift(al, w, kind, count);
                rh = shift(ah, w, kind, count);
            }
            case 0xd4 -> {
                rl = al + bl;
                rh = ah + bh;
            }
            case 0xdb -> {
                rl = al & bl;
                rh = ah & bh;
            }
            case 0xdf -> {
                rl = ~al & bl;
                rh = ~ah & bh;
            }
            case 0xeb -> {
                rl = al | bl;
                rh = ah | bh;
            }
            case 0xef -> {
                rl = al ^ bl;
                rh = ah ^ bh;
            }
            case 0xf4 -> {
                rl = (al & 0xffffffffL) * (bl & 0xffffffffL);
                rh = (ah & 0xffffffffL) * (bh & 0xffffffffL);
            }
            case 0xf5 -> {
                rl = maddwd(al, bl);
                rh = maddwd(ah, bh);
            }
            case 0xf6 -> {
                rl = sad(al, bl);
                rh = sad(ah, bh);
            }
            default -> {
                int w = laneWidth(op);
                rl = lanes(op, al, bl, w);
                rh = lanes(op, ah, bh, w);
            }
        }
        sse.setXmm(d, rl, rh);
    }

    /** The MMX form (0F opcode without prefix) of an integer operation on one 64-bit register. */
    static long mmx(int op, long a, long b) {
        return switch (op) {
            case 0x60, 0x61, 0x62 -> interleave(a, b, 8 << (op - 0x60), false);
            case 0x68, 0x69, 0x6a -> interleave(a, b, 8 << (op - 0x68), true);
            case 0x63 -> pack(a, b, 16, true);
            case 0x67 -> pack(a, b, 16, false);
            case 0x6b -> pack(a, b, 32, true);
            case 0xd1, 0xd2, 0xd3, 0xe1, 0xe2, 0xf1, 0xf2, 0xf3 -> {
                int w = switch (op & 0x0f) {
                    case 1 -> 16;
                    case 2 -> 32;
                    default -> 64;
                };
                int kind = op >= 0xf0 ? 2 : op >= 0xe0 ? 1 : 0;
                yield shift(a, w, kind, Long.compareUnsigned(b, 255) > 0 ? 255 : (int) b);
            }
            case 0xd4 -> a + b;
            case 0xdb -> a & b;
            case 0xdf -> ~a & b;
            case 0xeb -> a | b;
            case 0xef -> a ^ b;
            case 0xf4 -> (a & 0xffffffffL) * (b & 0xffffffffL);
            case 0xf5 -> maddwd(a, b);
            case 0xf6 -> sad(a, b);
            default -> lanes(op, a, b, laneWidth(op));
        };
    }

    private static int laneWidth(int op) {
        return switch (op) {
            case 0x64, 0x74, 0xd8, 0xda, 0xdc, 0xde, 0xe0, 0xe8, 0xec, 0xf8, 0xfc -> 8;
            case 0x66, 0x76, 0xfa, 0xfe -> 32;
            case 0xfb -> 64;
            default -> 16; // 65 75 d5 d9 dd e3 e4 e5 e9 ea ed ee f9 fd
        };
    }

    private static long lanes(int op, long a, long b, int w) {
        long m = w == 64 ? -1L : (1L << w) - 1;
        long r = 0;
        for (int s = 0; s < 64; s += w) {
            long x = (a >>> s) & m;
            long y = (b >>> s) & m;
            r |= (lane(op, x, y, w) & m) << s;
        }
        return r;
    }

    private static long sx(long v, int w) {
        return (v << (64 - w)) >> (64 - w);
    }

    private static long lane(int op, long x, long y, int w) {
        long smax = (1L << (w - 1)) - 1;
        long smin = -(1L << (w - 1));
        long umax = w == 64 ? -1L : (1L << w) - 1;
        return switch (op) {
            case 0x74, 0x75, 0x76 -> x == y ? -1 : 0;
            case 0x64, 0x65, 0x66 -> sx(x, w) > sx(y, w) ? -1 : 0;
            case 0xfc, 0xfd, 0xfe -> x + y;
            case 0xf8, 0xf9, 0xfa, 0xfb -> x - y;
            case 0xdc, 0xdd -> Math.min(x + y, umax);
            case 0xd8, 0xd9 -> Math.max(x - y, 0);
            case 0xec, 0xed -> Math.max(smin, Math.min(smax, sx(x, w) + sx(y, w)));
            case 0xe8, 0xe9 -> Math.max(smin, Math.min(smax, sx(x, w) - sx(y, w)));
            case 0xda -> Math.min(x, y);
            case 0xde -> Math.max(x, y);
            case 0xea -> Math.min(sx(x, w), sx(y, w));
            case 0xee -> Math.max(sx(x, w), sx(y, w));
            case 0xe0, 0xe3 -> (x + y + 1) >>> 1;
            case 0xd5 -> x * y;
            case 0xe5 -> (sx(x, w) * sx(y, w)) >> 16;
            case 0xe4 -> (x * y) >>> 16;
            default -> throw new IllegalStateException("no lane operation for 66 0f " + Integer.toHexString(op));
        };
    }

    /**
     * PUNPCKLBW..PUNPCKHQDQ on one half: the {@code w}-bit lanes of the low ({@code upper} false) or high 32 bits of
     * {@code a} and {@code b}, interleaved (a's first); {@code w} 64 takes a or b whole. Translated code calls it too.
     */
    public static long interleave(long a, long b, int w, boolean upper) {
        if (w == 64) {
            return upper ? b : a;
        }
        long m = (1L << w) - 1;
        int base = upper ? 32 : 0;
        long r = 0;
        int out = 0;
        for (int s = base; s < base + 32; s += w) {
            r |= ((a >>> s) & m) << out;
            out += w;
            r |= ((b >>> s) & m) << out;
            out += w;
        }
        return r;
    }

    /** Saturating narrowing of the {@code w}-bit signed lanes of lo:hi to half width. */
    private static long pack(long lo, long hi, int w, boolean signed) {
        int half = w / 2;
        long min = signed ? -(1L << (half - 1)) : 0;
        long max = signed ? (1L << (half - 1)) - 1 : (1L << half) - 1;
        long hm = (1L << half) - 1;
        long r = 0;
        int out = 0;
        for (long q : new long[] {lo, hi}) {
            for (int s = 0; s < 64; s += w) {
                long val = sx(q >>> s, w);
                val = Math.max(min, Math.min(max, val));
                r |= (val & hm) << out;
                out += half;
            }
        }
        return r;
    }

    static long shift(long a, int w, int kind, int count) {
        if (w == 64) {
            if (count > 63) {
                return kind == 1 ? a >> 63 : 0;
            }
            return kind == 0 ? a >>> count : kind == 1 ? a >> count : a << count;
        }
        long m = (1L << w) - 1;
        long r = 0;
        for (int s = 0; s < 64; s += w) {
            long x = (a >>> s) & m;
            long v;
            if (count >= w) {
                v = kind == 1 ? sx(x, w) >> (w - 1) : 0;
            } else {
                v = kind == 0 ? x >>> count : kind == 1 ? sx(x, w) >> count : x << count;
            }
            r |= (v & m) << s;
        }
        return r;
    }

    private static long maddwd(long a, long b) {
        long r = 0;
        for (int k = 0; k < 2; k++) {
            long p0 = sx(a >>> (32 * k), 16) * sx(b >>> (32 * k), 16);
            long p1 = sx(a >>> (32 * k + 16), 16) * sx(b >>> (32 * k + 16), 16);
            r |= ((p0 + p1) & 0xffffffffL) << (32 * k);
        }
        return r;
    }

    private static long sad(long a, long b) {
        long sum = 0;
        for (int s = 0; s < 64; s += 8) {
            sum += Math.abs(((a >>> s) & 0xff) - ((b >>> s) & 0xff));
        }
        return sum;
    }

    /** Shifts by an immediate (66 0F 71/72/73); PSRLDQ/PSLLDQ shift the whole register by bytes. */
    static void shiftImm(Sse sse, int sub, int d, int imm) {
        long lo = sse.xmm(d);
        long hi = sse.xmm(d + 1);
        long rl;
        long rh;
        switch (sub) {
            case SseOp.PSRLDQ, SseOp.PSLLDQ -> {
                int n = Math.min(imm, 16) * 8;
                boolean right = sub == SseOp.PSRLDQ;
                rl = shift128(lo, hi, n, right, false);
                rh = shift128(lo, hi, n, right, true);
            }
            default -> {
                int w = switch (sub) {
                    case SseOp.PSRLW_I, SseOp.PSRAW_I, SseOp.PSLLW_I -> 16;
                    case SseOp.PSRLD_I, SseOp.PSRAD_I, SseOp.PSLLD_I -> 32;
                    default -> 64;
                };
                int kind = switch (sub) {
                    case SseOp.PSRAW_I, SseOp.PSRAD_I -> 1;
                    case SseOp.PSLLW_I, SseOp.PSLLD_I, SseOp.PSLLQ_I -> 2;
                    default -> 0;
                };
                rl = shift(lo, w, kind, imm);
                rh = shift(hi, w, kind, imm);
            }
        }
        sse.setXmm(d, rl, rh);
    }

    private static long shift128(long lo, long hi, int n, boolean right, boolean wantHigh) {
        if (n == 0) {
            return wantHigh ? hi : lo;
        }
        if (n >= 128) {
            return 0;
        }
        if (right) {
            if (n >= 64) {
                return wantHigh ? 0 : hi >>> (n - 64);
            }
            return wantHigh ? hi >>> n : (lo >>> n) | (hi << (64 - n));
        }
        if (n >= 64) {
            return wantHigh ? lo << (n - 64) : 0;
        }
        return wantHigh ? (hi << n) | (lo >>> (64 - n)) : lo << n;
    }
}
