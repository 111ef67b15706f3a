package dev.corral.engine.cpu;

/** x87 execution. */
final class X87 {
    private final Interp x;

    X87(Interp x) {
        this.x = x;
    }

    void exec(Insn i) {
        throw new IllegalStateException("decoder produced an x87 op " + i.sub);
    }
}
