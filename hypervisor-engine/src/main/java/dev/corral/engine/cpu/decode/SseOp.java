package dev.corral.engine.cpu.decode;

/**
 * Sub-operation numbers of {@link Op#SSE} ({@link Insn#sub}): moves and conversions below 100, floating-point
 * arithmetic from 100 (scalar forms at +{@link #SCALAR}), the 66-prefixed integer opcodes at {@link #INT_BASE} +
 * opcode. {@link SseDecoder} emits them, the interpreter's SSE ops switch on them.
 */
public final class SseOp {
    private SseOp() {
    }

    public static final int MOV_LOAD = 1, MOV_STORE = 2, MOVSS_LOAD = 3, MOVSS_STORE = 4, MOVSD_LOAD = 5,
            MOVSD_STORE = 6, MOVQ_LOAD = 7, MOVQ_STORE = 8, MOVD_TO_XMM = 9, MOVD_FROM_XMM = 10,
            MOVLPS_LOAD = 11, MOVHLPS = 12, MOVLPS_STORE = 13, MOVHPS_LOAD = 14, MOVLHPS = 15, MOVHPS_STORE = 16,
            UNPCKLPS = 17, UNPCKHPS = 18, PUNPCKLQDQ = 19, PUNPCKHQDQ = 20, CVTSI2SS = 21, CVTSI2SD = 22,
            CVTTSS2SI = 23, CVTSS2SI = 24, CVTTSD2SI = 25, CVTSD2SI = 26, UCOMISS = 27, COMISS = 28,
            UCOMISD = 29, COMISD = 30, MOVMSKPS = 31, MOVMSKPD = 32, PAND = 33, PANDN = 34, POR = 35, PXOR = 36,
            CVTPS2PD = 37, CVTPD2PS = 38, CVTSS2SD = 39, CVTSD2SS = 40, CVTDQ2PS = 41, CVTPS2DQ = 42,
            CVTTPS2DQ = 43, PSHUFD = 44, PSHUFLW = 45, PSHUFHW = 46, PSRLW_I = 47, PSRAW_I = 48, PSLLW_I = 49,
            PSRLD_I = 50, PSRAD_I = 51, PSLLD_I = 52, PSRLQ_I = 53, PSRLDQ = 54, PSLLQ_I = 55, PSLLDQ = 56,
            PINSRW = 57, PEXTRW = 58, SHUFPS = 59, SHUFPD = 60, PMOVMSKB = 61, CVTTPD2DQ = 62, CVTPD2DQ = 63,
            CVTDQ2PD = 64, FXSAVE = 65, FXRSTOR = 66, LDMXCSR = 67, STMXCSR = 68, MFENCE = 69;
    public static final int ADD = 100, SUB = 101, MUL = 102, DIV = 103, MIN = 104, MAX = 105, SQRT = 106, CMP = 107,
            SCALAR = 10;
    public static final int INT_BASE = 200;

    /** The sub-operation of the 66-prefixed integer opcode {@code b}, -1 if it is not implemented. */
    static int integerOp(int b) {
        return implemented(b) ? INT_BASE + b : -1;
    }

    /** A 66 0F {@code b} integer opcode the interpreter implements. */
    static boolean implemented(int b) {
        return (b >= 0x60 && b <= 0x6d) || (b >= 0x74 && b <= 0x76) || (b >= 0xd1 && b <= 0xd5)
                || (b >= 0xd8 && b <= 0xe5) || (b >= 0xe8 && b <= 0xef) || (b >= 0xf1 && b <= 0xf6)
                || (b >= 0xf8 && b <= 0xfe);
    }
}
