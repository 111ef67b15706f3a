package dev.corral.engine.cpu.decode;

/**
 * MMX decoding: the 64-bit integer SIMD forms of the 0F map without a mandatory prefix, as {@link Op#MMX} with the
 * opcode as {@link Insn#sub} (the interpreter's MMX ops switch on these opcodes).
 */
public final class MmxDecoder {
    private MmxDecoder() {
    }

    public static final int MOVD_TO = 0x6e, MOVD_FROM = 0x7e, MOVQ_LOAD = 0x6f, MOVQ_STORE = 0x7f, PSHUFW = 0x70,
            SHIFT_W = 0x71, SHIFT_D = 0x72, SHIFT_Q = 0x73, EMMS = 0x77, PINSRW = 0xc4, PEXTRW = 0xc5,
            PMOVMSKB = 0xd7, MOVNTQ = 0xe7;

    /** Claims an MMX opcode (ModRM already read); false when {@code b} has no MMX form. */
    static boolean decode(Decoder d, Insn i, int b) {
        boolean integer = (b >= 0x60 && b <= 0x6b) || (b >= 0x74 && b <= 0x76) || (b >= 0xd1 && b <= 0xd5)
                || (b >= 0xd8 && b <= 0xe5) || (b >= 0xe8 && b <= 0xef) || (b >= 0xf1 && b <= 0xf6)
                || (b >= 0xf8 && b <= 0xfe);
        switch (b) {
            case MOVD_TO, MOVD_FROM, MOVQ_LOAD, MOVQ_STORE, PMOVMSKB, PEXTRW, PINSRW, PSHUFW, EMMS -> { }
            case SHIFT_W, SHIFT_D, SHIFT_Q -> {
                int r = d.modrmReg();
                if (i.rm < 0 || (r != 2 && r != 4 && r != 6) || (b == SHIFT_Q && r == 4)) {
                    throw d.ud();
                }
            }
            case MOVNTQ -> d.requireMemory(i);
            default -> {
                if (!integer) {
                    return false;
                }
            }
        }
        if ((b == PMOVMSKB || b == PEXTRW) && i.rm < 0) {
            throw d.ud();
        }
        i.op = Op.MMX;
        i.sub = b;
        i.size = (d.rex & 8) != 0 ? 8 : 4; // GPR width of MOVD/MOVQ
        if (b == PSHUFW || b == SHIFT_W || b == SHIFT_D || b == SHIFT_Q || b == PINSRW || b == PEXTRW) {
            i.imm = d.fetchImm(1) & 0xff;
        }
        return true;
    }
}
