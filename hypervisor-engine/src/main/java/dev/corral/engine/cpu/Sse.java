package dev.corral.engine.cpu;

/** SSE/SSE2 execution. */
final class Sse {
    private final Interp x;

    Sse(Interp x) {
        this.x = x;
    }

    void exec(Insn i) {
        throw new IllegalStateException("decoder produced an SSE op " + i.sub);
    }
}
