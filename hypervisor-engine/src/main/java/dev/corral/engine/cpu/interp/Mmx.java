package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.decode.MmxDecoder.*;

import dev.corral.engine.cpu.decode.Insn;

/**
 * MMX: the 64-bit integer SIMD forms of the 0F map without a mandatory prefix. MM0..MM7 alias the
 * significands of the x87 physical registers; every MMX instruction but EMMS sets TOP to 0 and marks
 * all x87 registers valid (and a write sets the exponent bits to all ones), as the hardware does.
 * REX.R and REX.B do not extend MMX register numbers.
 */
final class Mmx {

    private final Operands x;
    private final X87 fpu;

    Mmx(Operands x, X87 fpu) {
        this.x = x;
        this.fpu = fpu;
    }

    void exec(Insn i) {
        int op = i.sub;
        if (op == EMMS) {
            fpu.emms();
            return;
        }
        int dst = i.reg & 7;
        switch (op) {
            case MOVD_TO -> fpu.mmxWrite(dst, x.readRm(i, i.size));
            case MOVD_FROM -> IntOps.writeRm(x, i, i.rm >= 0 ? 0 : x.ea(i), fpu.mmxRead(dst));
            case MOVQ_LOAD -> fpu.mmxWrite(dst, src(i));
            case MOVQ_STORE, MOVNTQ -> {
                long v = fpu.mmxRead(dst);
                if (i.rm >= 0) {
                    fpu.mmxWrite(i.rm & 7, v);
                } else {
                    x.mem.write64(x.ea(i), v);
                }
            }
            case PMOVMSKB -> {
                long v = fpu.mmxRead(i.rm & 7);
                int m = 0;
                for (int k = 0; k < 8; k++) {
                    m |= (int) ((v >>> (8 * k + 7)) & 1) << k;
                }
                x.setReg(i.reg, 4, m);
                fpu.mmxEnter();
            }
            case PEXTRW -> {
                long v = fpu.mmxRead(i.rm & 7);
                x.setReg(i.reg, 4, (v >>> (16 * (i.imm & 3))) & 0xffff);
                fpu.mmxEnter();
            }
            case PINSRW -> {
                long w = x.readRm(i, i.rm >= 0 ? 4 : 2) & 0xffff;
                int sh = (int) (i.imm & 3) * 16;
                fpu.mmxWrite(dst, (fpu.mmxRead(dst) & ~(0xffffL << sh)) | (w << sh));
            }
            case PSHUFW -> {
                long v = src(i);
                long r = 0;
                for (int k = 0; k < 4; k++) {
                    r |= ((v >>> (16 * ((i.imm >> (2 * k)) & 3))) & 0xffff) << (16 * k);
                }
                fpu.mmxWrite(dst, r);
            }
            case SHIFT_W, SHIFT_D, SHIFT_Q -> {
                int target = i.rm & 7;
                int w = op == SHIFT_W ? 16 : op == SHIFT_D ? 32 : 64;
                int kind = switch (i.reg & 7) {
                    case 2 -> 0;
                    case 4 -> 1;
                    default -> 2;
                };
                fpu.mmxWrite(target, SseInt.shift(fpu.mmxRead(target), w, kind, (int) i.imm));
            }
            default -> {
                // PUNPCKL* mm, m32 reads 4 bytes only (the low halves are all it uses), so it must
                // not fault on the next page when the operand ends at a page boundary
                long b = op >= 0x60 && op <= 0x62 && i.rm < 0 ? x.mem.read32(x.ea(i)) & 0xffffffffL : src(i);
                fpu.mmxWrite(dst, SseInt.mmx(op, fpu.mmxRead(dst), b));
            }
        }
    }

    private long src(Insn i) {
        return i.rm >= 0 ? fpu.mmxRead(i.rm & 7) : x.mem.read64(x.ea(i));
    }
}
