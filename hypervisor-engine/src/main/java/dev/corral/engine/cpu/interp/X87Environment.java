package dev.corral.engine.cpu.interp;

import dev.corral.engine.cpu.state.CpuMemory;

/**
 * The x87 state images in memory: the 28-byte environment of FNSTENV/FLDENV and the x87 part of the
 * 512-byte FXSAVE area (the SSE part is written by {@link Interp#fxState}).
 */
final class X87Environment {
    private X87Environment() {
    }

    /** The 28-byte environment (FCW, FSW, full tag word, zero instruction and data pointers). */
    static void store(X87 f, long a) {
        CpuMemory mem = f.x.mem;
        int tags = 0;
        for (int p = 0; p < 8; p++) {
            int t;
            if ((f.empty & (1 << p)) != 0) {
                t = 3;
            } else {
                int e = f.se[p] & 0x7fff;
                if (e == 0 && f.mant[p] == 0) {
                    t = 1;
                } else if (e == 0x7fff || e == 0 || f.mant[p] >= 0) {
                    t = 2;
                } else {
                    t = 0;
                }
            }
            tags |= t << (2 * p);
        }
        f.x.storable(a, 28); // several writes: a fault must leave memory unchanged
        mem.write32(a, f.fcw | 0xffff0000);
        mem.write32(a + 4, f.status() | 0xffff0000);
        mem.write32(a + 8, tags | 0xffff0000);
        mem.write64(a + 12, 0);
        mem.write32(a + 20, 0);
        mem.write32(a + 24, 0xffff0000);
    }

    static void load(X87 f, long a) {
        CpuMemory mem = f.x.mem;
        int cw = mem.read16(a) & 0xffff;
        int sw = mem.read16(a + 4) & 0xffff;
        int tags = mem.read16(a + 8) & 0xffff;
        f.fcw = cw;
        f.fsw = sw & ~0x3800;
        f.top = (sw >> 11) & 7;
        int e = 0;
        for (int p = 0; p < 8; p++) {
            if (((tags >> (2 * p)) & 3) == 3) {
                e |= 1 << p;
            }
        }
        f.empty = e;
    }

    static void fxsave(X87 f, long a) {
        CpuMemory mem = f.x.mem;
        mem.write16(a, f.fcw);
        mem.write16(a + 2, f.status());
        int ftw = 0;
        for (int p = 0; p < 8; p++) {
            if ((f.empty & (1 << p)) == 0) {
                ftw |= 1 << p;
            }
        }
        mem.write8(a + 4, ftw);
        mem.write8(a + 5, 0);
        mem.write16(a + 6, 0);
        mem.write64(a + 8, 0);
        mem.write64(a + 16, 0);
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            mem.write64(a + 32 + 16L * k, f.mant[p]);
            mem.write16(a + 40 + 16L * k, f.se[p]);
            mem.write16(a + 42 + 16L * k, 0);
            mem.write32(a + 44 + 16L * k, 0);
        }
    }

    static void fxrstor(X87 f, long a) {
        CpuMemory mem = f.x.mem;
        int cw = mem.read16(a) & 0xffff;
        int sw = mem.read16(a + 2) & 0xffff;
        int ftw = mem.read8(a + 4) & 0xff;
        long[] m = new long[8];
        int[] s = new int[8];
        for (int k = 0; k < 8; k++) {
            m[k] = mem.read64(a + 32 + 16L * k);
            s[k] = mem.read16(a + 40 + 16L * k) & 0xffff;
        }
        f.fcw = cw;
        f.fsw = sw & ~0x3800;
        f.top = (sw >> 11) & 7;
        f.empty = ~ftw & 0xff;
        for (int k = 0; k < 8; k++) {
            int p = f.phys(k);
            f.mant[p] = m[k];
            f.se[p] = s[k];
        }
    }
}
