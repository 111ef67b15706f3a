package dev.corral.engine.cpu.interp;

/** FXAM: the class of ST(0) in C3 C2 C0 and its sign in C1 (kept apart to keep {@link X87} small). */
final class X87Examine {
    private X87Examine() {
    }

    static void fxam(X87 f) {
        int p = f.phys(0);
        int c1 = (f.se[p] & 0x8000) != 0 ? 0x200 : 0;
        int e = f.se[p] & 0x7fff;
        long m = f.mant[p];
        int cls;
        if ((f.empty & (1 << p)) != 0) {
            cls = 0x4100;
        } else if (Ext80Math.unsupported(f.se[p], m)) {
            cls = 0;
        } else if (e == 0x7fff) {
            cls = (m << 1) == 0 ? 0x0500 : 0x0100;
        } else if (e == 0 && m == 0) {
            cls = 0x4000;
        } else if (e == 0) {
            cls = 0x4400;
        } else {
            cls = m < 0 ? 0x0400 : 0;
        }
        f.fsw = (f.fsw & ~0x4700) | cls | c1;
    }
}
