package dev.corral.engine.cpu.decode;

/**
 * Decodes the SSE/SSE2 part of the 0F map into {@link Op#SSE} instructions: {@code sub} is an
 * {@link Sse} operation, {@code reg} the XMM destination (or GPR for conversions to integers),
 * {@code rm} the XMM/GPR source or -1 for memory, {@code size2} the memory width, {@code imm2} 1 when a
 * 16-byte memory operand must be aligned. The mandatory prefix (none, 66, F3, F2) selects the form;
 * MMX forms (no prefix on integer opcodes) and unlisted combinations are #UD.
 */
final class SseDecoder {
    private SseDecoder() {
    }

    /** Mandatory prefix classes. */
    private static final int NP = 0, P66 = 1, PF3 = 2, PF2 = 3;

    static void decode(Decoder d, Insn i, int b, int osz) {
        int p = d.repPrefix == 0xf3 ? PF3 : d.repPrefix == 0xf2 ? PF2 : d.p66 ? P66 : NP;
        i.op = Op.SSE;
        if (b == 0xae) {
            group15(d, i);
            return;
        }
        boolean sseOpcode = (b >= 0x10 && b <= 0x17) || (b >= 0x28 && b <= 0x2f) || (b >= 0x50 && b <= 0x7f)
                || (b >= 0xc2 && b <= 0xc6) || b >= 0xd0;
        if (!sseOpcode || b == 0x52 || b == 0x53) {
            throw d.ud(); // RSQRT/RCP are approximations whose exact bits only the hardware knows
        }
        if (b == 0x77) { // EMMS: no ModRM
            if (p != NP) {
                throw d.ud();
            }
            i.op = Op.MMX;
            i.sub = b;
            return;
        }
        d.modrm(i);
        if (p == NP && MmxDecoder.decode(d, i, b)) {
            return;
        }
        i.size2 = 16;
        i.imm2 = 1;
        int sub = switch (b) {
            case 0x10 -> scalarOr(i, p, SseOp.MOV_LOAD, SseOp.MOV_LOAD, SseOp.MOVSS_LOAD, SseOp.MOVSD_LOAD, true);
            case 0x11 -> scalarOr(i, p, SseOp.MOV_STORE, SseOp.MOV_STORE, SseOp.MOVSS_STORE, SseOp.MOVSD_STORE, true);
            case 0x12 -> p == NP ? (i.rm >= 0 ? SseOp.MOVHLPS : mem64(i, SseOp.MOVLPS_LOAD))
                    : p == P66 ? memOnly(d, i, mem64(i, SseOp.MOVLPS_LOAD)) : -1;
            case 0x13 -> p <= P66 ? memOnly(d, i, mem64(i, SseOp.MOVLPS_STORE)) : -1;
            case 0x14 -> p == NP ? SseOp.UNPCKLPS : p == P66 ? SseOp.PUNPCKLQDQ : -1;
            case 0x15 -> p == NP ? SseOp.UNPCKHPS : p == P66 ? SseOp.PUNPCKHQDQ : -1;
            case 0x16 -> p == NP ? (i.rm >= 0 ? SseOp.MOVLHPS : mem64(i, SseOp.MOVHPS_LOAD))
                    : p == P66 ? memOnly(d, i, mem64(i, SseOp.MOVHPS_LOAD)) : -1;
            case 0x17 -> p <= P66 ? memOnly(d, i, mem64(i, SseOp.MOVHPS_STORE)) : -1;
            case 0x28 -> p <= P66 ? SseOp.MOV_LOAD : -1;
            case 0x29 -> p <= P66 ? SseOp.MOV_STORE : -1;
            case 0x2a -> p == PF3 ? gprSource(i, osz, SseOp.CVTSI2SS) : p == PF2 ? gprSource(i, osz, SseOp.CVTSI2SD) : -1;
            case 0x2b -> p <= P66 ? memOnly(d, i, SseOp.MOV_STORE) : -1;
            case 0x2c, 0x2d -> p == PF3 ? scalarSrc(i, 4, b == 0x2c ? SseOp.CVTTSS2SI : SseOp.CVTSS2SI, osz)
                    : p == PF2 ? scalarSrc(i, 8, b == 0x2c ? SseOp.CVTTSD2SI : SseOp.CVTSD2SI, osz) : -1;
            case 0x2e, 0x2f -> p == NP ? scalarSrc(i, 4, b == 0x2e ? SseOp.UCOMISS : SseOp.COMISS, 0)
                    : p == P66 ? scalarSrc(i, 8, b == 0x2e ? SseOp.UCOMISD : SseOp.COMISD, 0) : -1;
            case 0x50 -> p <= P66 && i.rm >= 0 ? (p == NP ? SseOp.MOVMSKPS : SseOp.MOVMSKPD) : -1;
            case 0x51 -> fp(i, p, SseOp.SQRT);
            case 0x54 -> p <= P66 ? SseOp.PAND : -1;
            case 0x55 -> p <= P66 ? SseOp.PANDN : -1;
            case 0x56 -> p <= P66 ? SseOp.POR : -1;
            case 0x57 -> p <= P66 ? SseOp.PXOR : -1;
            case 0x58 -> fp(i, p, SseOp.ADD);
            case 0x59 -> fp(i, p, SseOp.MUL);
            case 0x5a -> switch (p) {
                case NP -> mem64(i, SseOp.CVTPS2PD);
                case P66 -> SseOp.CVTPD2PS;
                case PF3 -> scalarSrc(i, 4, SseOp.CVTSS2SD, 0);
                default -> scalarSrc(i, 8, SseOp.CVTSD2SS, 0);
            };
            case 0x5b -> p == NP ? SseOp.CVTDQ2PS : p == P66 ? SseOp.CVTPS2DQ : p == PF3 ? SseOp.CVTTPS2DQ : -1;
            case 0x5c -> fp(i, p, SseOp.SUB);
            case 0x5d -> fp(i, p, SseOp.MIN);
            case 0x5e -> fp(i, p, SseOp.DIV);
            case 0x5f -> fp(i, p, SseOp.MAX);
            case 0x6e -> p == P66 ? gprSource(i, osz, SseOp.MOVD_TO_XMM) : -1;
            case 0x7e -> p == P66 ? gprDest(i, osz, SseOp.MOVD_FROM_XMM) : p == PF3 ? mem64(i, SseOp.MOVQ_LOAD) : -1;
            case 0x6f -> p == P66 ? SseOp.MOV_LOAD : p == PF3 ? unaligned(i, SseOp.MOV_LOAD) : -1;
            case 0x7f -> p == P66 ? SseOp.MOV_STORE : p == PF3 ? unaligned(i, SseOp.MOV_STORE) : -1;
            case 0xd6 -> p == P66 ? mem64(i, SseOp.MOVQ_STORE) : -1;
            case 0x70 -> {
                i.imm = d.fetchImm(1) & 0xff;
                yield p == P66 ? SseOp.PSHUFD : p == PF2 ? SseOp.PSHUFLW : p == PF3 ? SseOp.PSHUFHW : -1;
            }
            case 0x71, 0x72, 0x73 -> p == P66 && i.rm >= 0 ? shiftImm(d, i, b) : -1;
            case 0xc2 -> {
                i.imm = d.fetchImm(1) & 0xff;
                yield i.imm > 7 ? -1 : fp(i, p, SseOp.CMP);
            }
            case 0xc4 -> {
                if (p != P66) {
                    yield -1;
                }
                i.imm = d.fetchImm(1) & 0xff;
                yield gprSource(i, 4, SseOp.PINSRW, 2);
            }
            case 0xc5 -> {
                if (p != P66 || i.rm < 0) {
                    yield -1;
                }
                i.imm = d.fetchImm(1) & 0xff;
                yield SseOp.PEXTRW;
            }
            case 0xc6 -> {
                i.imm = d.fetchImm(1) & 0xff;
                yield p == NP ? SseOp.SHUFPS : p == P66 ? SseOp.SHUFPD : -1;
            }
            case 0xd7 -> p == P66 && i.rm >= 0 ? SseOp.PMOVMSKB : -1;
            case 0xe6 -> p == P66 ? SseOp.CVTTPD2DQ : p == PF2 ? SseOp.CVTPD2DQ : p == PF3 ? mem64(i, SseOp.CVTDQ2PD) : -1;
            case 0xe7 -> p == P66 ? memOnly(d, i, SseOp.MOV_STORE) : -1;
            default -> p == P66 ? SseOp.integerOp(b) : -1;
        };
        if (sub < 0) {
            throw d.ud();
        }
        i.sub = sub;
    }

    /** Packed (PS, PD) or scalar (SS, SD) variants of a floating-point operation. */
    private static int fp(Insn i, int p, int op) {
        switch (p) {
            case NP -> i.size = 4; // packed single
            case P66 -> i.size = 8; // packed double
            case PF3 -> {
                i.size = 4;
                i.size2 = 4;
                i.imm2 = 0;
                return op + SseOp.SCALAR;
            }
            default -> {
                i.size = 8;
                i.size2 = 8;
                i.imm2 = 0;
                return op + SseOp.SCALAR;
            }
        }
        return op;
    }

    private static int scalarOr(Insn i, int p, int ps, int pd, int ss, int sd, boolean unalignedPacked) {
        if (p == PF3) {
            i.size2 = 4;
            i.imm2 = 0;
            return ss;
        }
        if (p == PF2) {
            i.size2 = 8;
            i.imm2 = 0;
            return sd;
        }
        if (unalignedPacked) {
            i.imm2 = 0;
        }
        return p == NP ? ps : pd;
    }

    private static int mem64(Insn i, int op) {
        i.size2 = 8;
        i.imm2 = 0;
        return op;
    }

    private static int unaligned(Insn i, int op) {
        i.imm2 = 0;
        return op;
    }

    private static int memOnly(Decoder d, Insn i, int op) {
        d.requireMemory(i);
        return op;
    }

    private static int scalarSrc(Insn i, int width, int op, int osz) {
        i.size2 = width;
        i.imm2 = 0;
        i.size = osz == 8 ? 8 : 4; // the integer width of CVT*2SI results
        return op;
    }

    /** The r/m operand is a general register or memory of the operand size. */
    private static int gprSource(Insn i, int osz, int op) {
        return gprSource(i, osz, op, osz == 8 ? 8 : 4);
    }

    private static int gprSource(Insn i, int osz, int op, int width) {
        i.size = osz == 8 ? 8 : 4;
        i.size2 = width;
        i.imm2 = 0;
        return op;
    }

    private static int gprDest(Insn i, int osz, int op) {
        i.size = osz == 8 ? 8 : 4;
        i.size2 = i.size;
        i.imm2 = 0;
        return op;
    }

    private static int shiftImm(Decoder d, Insn i, int b) {
        int r = d.modrmReg();
        i.imm = d.fetchImm(1) & 0xff;
        return switch (b) {
            case 0x71 -> r == 2 ? SseOp.PSRLW_I : r == 4 ? SseOp.PSRAW_I : r == 6 ? SseOp.PSLLW_I : -1;
            case 0x72 -> r == 2 ? SseOp.PSRLD_I : r == 4 ? SseOp.PSRAD_I : r == 6 ? SseOp.PSLLD_I : -1;
            default -> r == 2 ? SseOp.PSRLQ_I : r == 3 ? SseOp.PSRLDQ : r == 6 ? SseOp.PSLLQ_I : r == 7 ? SseOp.PSLLDQ : -1;
        };
    }

    /** 0F AE: FXSAVE, FXRSTOR, LDMXCSR, STMXCSR with memory; LFENCE, MFENCE, SFENCE without. */
    private static void group15(Decoder d, Insn i) {
        d.modrm(i);
        int r = d.modrmReg();
        if (d.repPrefix != 0 || d.p66) {
            throw d.ud();
        }
        if (i.rm >= 0) {
            if (r < 5) {
                throw d.ud();
            }
            // LFENCE and SFENCE: loads are acquire and stores release already (see PagedMemory); MFENCE is a full fence.
            i.op = r == 6 ? Op.SSE : Op.NOP;
            i.sub = SseOp.MFENCE;
            return;
        }
        i.sub = switch (r) {
            case 0 -> SseOp.FXSAVE;
            case 1 -> SseOp.FXRSTOR;
            case 2 -> SseOp.LDMXCSR;
            case 3 -> SseOp.STMXCSR;
            case 7 -> -2; // CLFLUSH: no caches to flush
            default -> throw d.ud();
        };
        if (i.sub == -2) {
            i.op = Op.NOP;
        }
        i.size = (d.rex & 8) != 0 ? 8 : 4;
    }
}
