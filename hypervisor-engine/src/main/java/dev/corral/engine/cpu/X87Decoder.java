package dev.corral.engine.cpu;

/** Decodes the x87 escape opcodes D8..DF. */
final class X87Decoder {
    private X87Decoder() {
    }

    static void decode(Decoder d, Insn i, int b) {
        throw d.ud();
    }
}
