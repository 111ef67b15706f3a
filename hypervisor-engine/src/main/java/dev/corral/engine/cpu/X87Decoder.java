package dev.corral.engine.cpu;

/**
 * Decodes the x87 escape opcodes D8..DF into {@link Op#X87} instructions. {@code sub} is
 * {@code (escape - 0xd8) * 8 + reg} for memory forms (0..63) and
 * {@code 64 + (escape - 0xd8) * 64 + (modrm & 0x3f)} for register forms; only forms {@link X87}
 * implements are accepted, the rest are #UD.
 */
final class X87Decoder {
    private X87Decoder() {
    }

    static void decode(Decoder d, Insn i, int b) {
        d.modrm(i);
        int esc = b - 0xd8;
        i.op = Op.X87;
        if (i.rm < 0) {
            i.sub = esc * 8 + d.modrmReg();
        } else {
            i.sub = 64 + esc * 64 + (d.modrm & 0x3f);
        }
        if (!X87.implemented(i.sub)) {
            throw d.ud();
        }
    }
}
