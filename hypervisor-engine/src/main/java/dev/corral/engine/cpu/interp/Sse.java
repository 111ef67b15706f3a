package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.decode.SseOp.*;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;

/**
 * SSE/SSE2 execution on {@link CpuState#xmm}. Operations are numbered by {@link SseDecoder}: moves and
 * conversions below 100, floating-point arithmetic from 100 (scalar forms at +{@link #SCALAR}), the
 * 66-prefixed integer opcodes at 200 + opcode (see {@link SseInt}). Results are computed into locals and
 * committed only after any memory access succeeded and no unmasked SIMD exception (#XM) is pending.
 */
final class Sse {


    private final Operands x;
    /** FXSAVE and FXRSTOR save and restore it with the SSE state. */
    private final X87 x87;
    private final CpuState s;
    private final long[] v;
    private final SseFp fp = new SseFp();
    /** The source operand, loaded by {@link #src}. */
    private long sl;
    private long sh;

    Sse(Operands x, X87 x87) {
        this.x = x;
        this.x87 = x87;
        this.s = x.s;
        this.v = x.s.xmm;
    }

    private void src(Insn i) {
        if (i.rm >= 0) {
            sl = v[2 * i.rm];
            sh = v[2 * i.rm + 1];
            return;
        }
        long a = x.ea(i);
        switch (i.size2) {
            case 16 -> {
                aligned(i, a);
                sl = x.mem.read64(a);
                sh = x.mem.read64(a + 8);
            }
            case 8 -> {
                sl = x.mem.read64(a);
                sh = 0;
            }
            case 4 -> {
                sl = x.mem.read32(a) & 0xffffffffL;
                sh = 0;
            }
            default -> {
                sl = x.mem.read16(a) & 0xffffL;
                sh = 0;
            }
        }
    }

    private static void aligned(Insn i, long a) {
        if (i.imm2 == 1 && (a & 15) != 0) {
            throw Operands.misaligned(i, a);
        }
    }

    private void set(int r, long lo, long hi) {
        v[2 * r] = lo;
        v[2 * r + 1] = hi;
    }

    /** Merges the accumulated floating-point flags into MXCSR, or raises #XM if one is unmasked. */
    private void commitFlags(Insn i) {
        int f = fp.flags;
        fp.flags = 0;
        if (f == 0) {
            return;
        }
        int unmasked = f & ~(s.mxcsr >>> 7) & 0x3f;
        if (unmasked != 0) {
            // An unmasked invalid, denormal or zero-divide stops the instruction before it computes,
            // so only those are reported; otherwise the post-computation flags are too.
            int pre = f & (SseFp.IE | SseFp.DE | SseFp.ZE);
            s.mxcsr |= (pre & unmasked) != 0 ? pre : f;
            throw new GuestFault(CpuExit.Fault.XM, "unmasked SIMD floating-point exception 0x"
                    + Integer.toHexString(unmasked) + " at rip 0x" + Long.toHexString(i.rip));
        }
        s.mxcsr |= f;
    }

    private int roundingMode() {
        return (s.mxcsr >>> 13) & 3;
    }

    /** The floating-point unit's modes from MXCSR, before an operation. */
    private void modes() {
        int mx = s.mxcsr;
        fp.rc = (mx >>> 13) & 3;
        fp.daz = (mx & 0x40) != 0;
        fp.ftz = (mx & 0x8000) != 0 && (mx & 0x800) != 0;
        fp.oeUnmasked = (mx & 0x400) == 0;
        fp.ueUnmasked = (mx & 0x800) == 0;
    }

    /**
     * (U)COMISS or (U)COMISD of XMM{@code i.reg} with the source operand's value {@code b}: the arithmetic flags it
     * sets (ZF, PF, CF; the others clear), MXCSR's exception flags raised (#XM when unmasked). Translated code reads
     * the operand itself and calls this; the caller writes the flags.
     */
    long compare(Insn i, long b) {
        modes();
        int d = 2 * i.reg;
        long f = i.sub <= COMISS ? fp.comF((int) v[d], (int) b, i.sub == COMISS) : fp.comD(v[d], b, i.sub == COMISD);
        commitFlags(i);
        return f;
    }

    void exec(Insn i) {
        int sub = i.sub;
        modes();
        if (sub >= INT_BASE) {
            src(i);
            int d = 2 * i.reg;
            SseInt.exec(this, i, sub - INT_BASE, d, sl, sh);
            return;
        }
        if (sub >= ADD) {
            arith(i, sub);
            return;
        }
        int d = 2 * i.reg;
        switch (sub) {
            case MOV_LOAD -> {
                src(i);
                set(i.reg, sl, sh);
            }
            case MOV_STORE -> {
                if (i.rm >= 0) {
                    set(i.rm, v[d], v[d + 1]);
                } else {
                    long a = x.ea(i);
                    aligned(i, a);
                    x.storable(a, 16); // two writes: a fault in the second page must leave the first
                    x.mem.write64(a, v[d]);
                    x.mem.write64(a + 8, v[d + 1]);
                }
            }
            case MOVSS_LOAD -> {
                src(i);
                if (i.rm >= 0) {
                    v[d] = (v[d] & ~0xffffffffL) | (sl & 0xffffffffL);
                } else {
                    set(i.reg, sl, 0);
                }
            }
            case MOVSD_LOAD -> {
                src(i);
                if (i.rm >= 0) {
                    v[d] = sl;
                } else {
                    set(i.reg, sl, 0);
                }
            }
            case MOVSS_STORE -> {
                if (i.rm >= 0) {
                    v[2 * i.rm] = (v[2 * i.rm] & ~0xffffffffL) | (v[d] & 0xffffffffL);
                } else {
                    x.mem.write32(x.ea(i), (int) v[d]);
                }
            }
            case MOVSD_STORE, MOVLPS_STORE -> {
                if (i.rm >= 0) {
                    v[2 * i.rm] = v[d];
                } else {
                    x.mem.write64(x.ea(i), v[d]);
                }
            }
            case MOVQ_LOAD -> {
                src(i);
                set(i.reg, sl, 0);
            }
            case MOVQ_STORE -> {
                if (i.rm >= 0) {
                    set(i.rm, v[d], 0);
                } else {
                    x.mem.write64(x.ea(i), v[d]);
                }
            }
            case MOVD_TO_XMM -> set(i.reg, x.readRm(i, i.size), 0);
            case MOVD_FROM_XMM -> IntOps.writeRm(x, i, i.rm >= 0 ? 0 : x.ea(i), v[d]);
            case MOVLPS_LOAD -> {
                src(i);
                v[d] = sl;
            }
            case MOVHLPS -> v[d] = v[2 * i.rm + 1];
            case MOVHPS_LOAD -> {
                src(i);
                v[d + 1] = sl;
            }
            case MOVLHPS -> v[d + 1] = v[2 * i.rm];
            case MOVHPS_STORE -> x.mem.write64(x.ea(i), v[d + 1]);
            case UNPCKLPS -> {
                src(i);
                long a = v[d];
                set(i.reg, (a & 0xffffffffL) | (sl << 32), (a >>> 32) | (sl & 0xffffffff00000000L));
            }
            case UNPCKHPS -> {
                src(i);
                long a = v[d + 1];
                set(i.reg, (a & 0xffffffffL) | (sh << 32), (a >>> 32) | (sh & 0xffffffff00000000L));
            }
            case PUNPCKLQDQ -> {
                src(i);
                v[d + 1] = sl;
            }
            case PUNPCKHQDQ -> {
                src(i);
                set(i.reg, v[d + 1], sh);
            }
            case PAND -> {
                src(i);
                set(i.reg, v[d] & sl, v[d + 1] & sh);
            }
            case PANDN -> {
                src(i);
                set(i.reg, ~v[d] & sl, ~v[d + 1] & sh);
            }
            case POR -> {
                src(i);
                set(i.reg, v[d] | sl, v[d + 1] | sh);
            }
            case PXOR -> {
                src(i);
                set(i.reg, v[d] ^ sl, v[d + 1] ^ sh);
            }
            case MOVMSKPS -> x.setReg(i.reg, 4, ((v[2 * i.rm] >>> 31) & 1) | ((v[2 * i.rm] >>> 62) & 2)
                    | ((v[2 * i.rm + 1] >>> 29) & 4) | ((v[2 * i.rm + 1] >>> 60) & 8));
            case MOVMSKPD -> x.setReg(i.reg, 4, ((v[2 * i.rm] >>> 63) & 1) | ((v[2 * i.rm + 1] >>> 62) & 2));
            case PMOVMSKB -> {
                int m = 0;
                for (int k = 0; k < 8; k++) {
                    m |= (int) ((v[2 * i.rm] >>> (8 * k + 7)) & 1) << k;
                    m |= (int) ((v[2 * i.rm + 1] >>> (8 * k + 7)) & 1) << (k + 8);
                }
                x.setReg(i.reg, 4, m);
            }
            case PSHUFD -> {
                src(i);
                int o = (int) i.imm;
                set(i.reg, dword(o & 3) | (dword((o >> 2) & 3) << 32),
                        dword((o >> 4) & 3) | (dword((o >> 6) & 3) << 32));
            }
            case PSHUFLW -> {
                src(i);
                set(i.reg, shuffleWords(sl, (int) i.imm), sh);
            }
            case PSHUFHW -> {
                src(i);
                set(i.reg, sl, shuffleWords(sh, (int) i.imm));
            }
            case SHUFPS -> {
                src(i);
                int o = (int) i.imm;
                long a0 = v[d];
                long a1 = v[d + 1];
                long lo = pick(a0, a1, o & 3) | (pick(a0, a1, (o >> 2) & 3) << 32);
                long hi = pick(sl, sh, (o >> 4) & 3) | (pick(sl, sh, (o >> 6) & 3) << 32);
                set(i.reg, lo, hi);
            }
            case SHUFPD -> {
                src(i);
                int o = (int) i.imm;
                set(i.reg, (o & 1) == 0 ? v[d] : v[d + 1], (o & 2) == 0 ? sl : sh);
            }
            case PINSRW -> {
                long w = x.readRm(i, i.rm >= 0 ? 4 : 2) & 0xffff;
                int k = (int) (i.imm & 7);
                int idx = d + (k >> 2);
                int shift = (k & 3) * 16;
                v[idx] = (v[idx] & ~(0xffffL << shift)) | (w << shift);
            }
            case PEXTRW -> {
                int k = (int) (i.imm & 7);
                x.setReg(i.reg, 4, (v[2 * i.rm + (k >> 2)] >>> ((k & 3) * 16)) & 0xffff);
            }
            case PSRLW_I, PSRAW_I, PSLLW_I, PSRLD_I, PSRAD_I, PSLLD_I, PSRLQ_I, PSLLQ_I, PSRLDQ, PSLLDQ ->
                    SseInt.shiftImm(this, sub, 2 * i.rm, (int) i.imm);
            case LDMXCSR -> {
                int m = x.mem.read32(x.ea(i));
                if ((m & ~0xffff) != 0) {
                    throw GuestFault.gp("LDMXCSR with reserved bits 0x" + Integer.toHexString(m) + " at rip 0x"
                            + Long.toHexString(i.rip));
                }
                s.mxcsr = m;
            }
            case STMXCSR -> x.mem.write32(x.ea(i), s.mxcsr);
            case FXSAVE, FXRSTOR -> fxState(i, sub == FXSAVE);
            case MFENCE -> java.lang.invoke.VarHandle.fullFence();
            default -> convert(i, sub, d);
        }
    }

    private long dword(int k) {
        return ((k < 2 ? sl : sh) >>> ((k & 1) * 32)) & 0xffffffffL;
    }

    private static long pick(long lo, long hi, int k) {
        return ((k < 2 ? lo : hi) >>> ((k & 1) * 32)) & 0xffffffffL;
    }

    private static long shuffleWords(long q, int o) {
        long r = 0;
        for (int k = 0; k < 4; k++) {
            r |= ((q >>> (16 * ((o >> (2 * k)) & 3))) & 0xffff) << (16 * k);
        }
        return r;
    }

    void setXmm(int d, long lo, long hi) {
        v[d] = lo;
        v[d + 1] = hi;
    }

    long xmm(int idx) {
        return v[idx];
    }

    private void arith(Insn i, int sub) {
        src(i);
        int d = 2 * i.reg;
        boolean scalar = sub >= ADD + SCALAR;
        int op = (scalar ? sub - SCALAR : sub) - ADD;
        long a0 = v[d];
        long a1 = v[d + 1];
        long lo;
        long hi;
        if (i.size == 8) {
            lo = fd(op, i, a0, sl);
            hi = scalar ? a1 : fd(op, i, a1, sh);
        } else {
            long l0 = ff(op, i, (int) a0, (int) sl);
            if (scalar) {
                lo = (a0 & 0xffffffff00000000L) | l0;
                hi = a1;
            } else {
                lo = l0 | (ff(op, i, (int) (a0 >>> 32), (int) (sl >>> 32)) << 32);
                hi = ff(op, i, (int) a1, (int) sh) | (ff(op, i, (int) (a1 >>> 32), (int) (sh >>> 32)) << 32);
            }
        }
        commitFlags(i);
        v[d] = lo;
        v[d + 1] = hi;
    }

    private long fd(int op, Insn i, long a, long b) {
        return switch (op) {
            case SQRT - ADD -> fp.sqrtD(b);
            case CMP - ADD -> fp.cmpD((int) i.imm, a, b);
            default -> fp.binD(op, a, b);
        };
    }

    private long ff(int op, Insn i, int a, int b) {
        return switch (op) {
            case SQRT - ADD -> fp.sqrtF(b);
            case CMP - ADD -> fp.cmpF((int) i.imm, a, b);
            default -> fp.binF(op, a, b);
        } & 0xffffffffL;
    }

    private void convert(Insn i, int sub, int d) {
        switch (sub) {
            case CVTSI2SS, CVTSI2SD -> {
                long n = Alu.signExtend(x.readRm(i, i.size), i.size);
                if (sub == CVTSI2SS) {
                    long r = fp.i2f(n) & 0xffffffffL;
                    commitFlags(i);
                    v[d] = (v[d] & ~0xffffffffL) | r;
                } else {
                    long r = fp.i2d(n);
                    commitFlags(i);
                    v[d] = r;
                }
                return;
            }
            case CVTTSS2SI, CVTSS2SI, CVTTSD2SI, CVTSD2SI -> {
                src(i);
                boolean daz = (s.mxcsr & 0x40) != 0;
                double val = sub <= CVTSS2SI ? Float.intBitsToFloat((int) sl) : Double.longBitsToDouble(sl);
                if (daz && Math.abs(val) < (sub <= CVTSS2SI ? Float.MIN_NORMAL : Double.MIN_NORMAL)) {
                    val = 0; // denormals read as zero
                }
                int mode = (sub == CVTTSS2SI || sub == CVTTSD2SI) ? 3 : roundingMode();
                long r = fp.d2i(val, i.size * 8, mode);
                commitFlags(i);
                x.setReg(i.reg, i.size, r);
                return;
            }
            case UCOMISS, COMISS, UCOMISD, COMISD -> {
                src(i);
                s.rflags = (s.rflags & ~Alu.ARITH) | compare(i, sl);
                return;
            }
            default -> { }
        }
        src(i);
        long lo;
        long hi;
        switch (sub) {
            case CVTSS2SD -> {
                lo = fp.f2d((int) sl);
                hi = v[d + 1];
            }
            case CVTSD2SS -> {
                lo = (v[d] & 0xffffffff00000000L) | (fp.d2f(sl) & 0xffffffffL);
                hi = v[d + 1];
            }
            case CVTPS2PD -> {
                lo = fp.f2d((int) sl);
                hi = fp.f2d((int) (sl >>> 32));
            }
            case CVTPD2PS -> {
                lo = (fp.d2f(sl) & 0xffffffffL) | ((long) fp.d2f(sh) << 32);
                hi = 0;
            }
            case CVTDQ2PS -> {
                lo = (fp.i2f((int) sl) & 0xffffffffL) | ((long) fp.i2f((int) (sl >>> 32)) << 32);
                hi = (fp.i2f((int) sh) & 0xffffffffL) | ((long) fp.i2f((int) (sh >>> 32)) << 32);
            }
            case CVTDQ2PD -> {
                lo = fp.i2d((int) sl);
                hi = fp.i2d((int) (sl >>> 32));
            }
            case CVTPS2DQ, CVTTPS2DQ -> {
                int mode = sub == CVTTPS2DQ ? 3 : roundingMode();
                lo = f2i(sl, mode) | (f2i(sl >>> 32, mode) << 32);
                hi = f2i(sh, mode) | (f2i(sh >>> 32, mode) << 32);
            }
            case CVTPD2DQ, CVTTPD2DQ -> {
                int mode = sub == CVTTPD2DQ ? 3 : roundingMode();
                lo = d2i(sl, mode) | (d2i(sh, mode) << 32);
                hi = 0;
            }
            default -> throw new IllegalStateException("decoder produced unknown SSE op " + sub);
        }
        commitFlags(i);
        v[d] = lo;
        v[d + 1] = hi;
    }

    private long f2i(long bits, int mode) {
        int b = (int) bits;
        if (fp.daz && SseFp.denF(b)) {
            b &= 0x80000000; // denormals read as zero
        }
        return fp.d2i(Float.intBitsToFloat(b), 32, mode);
    }

    private long d2i(long bits, int mode) {
        if (fp.daz && SseFp.denD(bits)) {
            bits &= Long.MIN_VALUE;
        }
        return fp.d2i(Double.longBitsToDouble(bits), 32, mode);
    }

    /** FXSAVE ({@code save}) or FXRSTOR of the x87 and SSE state at the 16-byte aligned operand. */
    private void fxState(Insn i, boolean save) {
        long a = x.ea(i);
        if ((a & 15) != 0) {
            throw GuestFault.gp("FXSAVE/FXRSTOR area 0x" + Long.toHexString(a) + " is not 16-byte aligned (rip 0x"
                    + Long.toHexString(i.rip) + ")");
        }
        if (save) {
            x.storable(a, 416); // the bytes FXSAVE writes: all or nothing
            X87Environment.fxsave(x87, a);
            x.mem.write32(a + 24, s.mxcsr);
            x.mem.write32(a + 28, 0xffff);
            for (int k = 0; k < 32; k++) {
                x.mem.write64(a + 160 + 8L * k, s.xmm[k]);
            }
        } else {
            int m = x.mem.read32(a + 24);
            if ((m & ~0xffff) != 0) {
                throw GuestFault.gp("FXRSTOR with reserved MXCSR bits 0x" + Integer.toHexString(m) + " (rip 0x"
                        + Long.toHexString(i.rip) + ")");
            }
            long[] xmm = new long[32];
            for (int k = 0; k < 32; k++) {
                xmm[k] = x.mem.read64(a + 160 + 8L * k);
            }
            X87Environment.fxrstor(x87, a);
            s.mxcsr = m;
            System.arraycopy(xmm, 0, s.xmm, 0, 32);
        }
    }
}
