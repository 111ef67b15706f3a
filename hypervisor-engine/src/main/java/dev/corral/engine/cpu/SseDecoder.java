package dev.corral.engine.cpu;

/** Decodes the SSE/SSE2 part of the 0F map. */
final class SseDecoder {
    private SseDecoder() {
    }

    static void decode(Decoder d, Insn i, int b, int osz) {
        throw d.ud();
    }
}
