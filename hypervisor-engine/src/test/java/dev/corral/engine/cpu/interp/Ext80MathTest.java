package dev.corral.engine.cpu.interp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Extended-precision arithmetic against results recorded from an x87 (AMD EPYC, long double
 * arithmetic under the given control word). Each vector: control word, a, b, expected result, status
 * flags.
 */
class Ext80MathTest {

    private static Ext80Math math(int cw) {
        Ext80Math x = new Ext80Math();
        int pc = (cw >> 8) & 3;
        x.precision = pc == 0 ? 24 : pc == 2 ? 53 : 64;
        x.rounding = (cw >> 10) & 3;
        return x;
    }

    private static void expect(Ext80Math x, int se, long m, int flags) {
        assertThat(Integer.toHexString(x.se)).isEqualTo(Integer.toHexString(se));
        assertThat(Long.toHexString(x.m)).isEqualTo(Long.toHexString(m));
        assertThat(x.flags & 0x3f).isEqualTo(flags);
    }

    @Test
    void divisionRoundsToNearestAtSixtyFourBits() {
        Ext80Math x = math(0x37f);
        x.div(0x3ffa, 0xbc2fc0877e5f306eL, 0x3ff6, 0xefd69db0be1329a2L);
        expect(x, 0x4002, 0xc8de1aebc0bfd4c8L, 0x20);
        x = math(0x37f);
        x.div(0x3ff5, 0x86ce36365a36a337L, 0xc001, 0x9efbdc2a2b246f50L);
        expect(x, 0xbff2, 0xd9114368c78370b5L, 0x20);
    }

    @Test
    void squareRootIsCorrectlyRounded() {
        Ext80Math x = math(0x37f);
        x.sqrt(0x7ffe, 0xa8cb8e24cb2ee7beL);
        expect(x, 0x5ffe, 0xcfdfb76de3be5b1bL, 0x20);
    }

    @Test
    void additionTruncatesUnderRoundTowardZero() {
        Ext80Math x = math(0xf7f);
        x.add(0xbffd, 0xcb8e284edd5bcfb5L, 0x403e, 0x925d73021f649861L, false);
        expect(x, 0x403e, 0x925d73021f649860L, 0x20);
    }

    @Test
    void multiplicationHonoursDoublePrecisionControl() {
        Ext80Math x = math(0x27f);
        x.mul(0xc006, 0xff6868765136986fL, 0x4030, 0x8bbc2cfb05a60f3eL);
        expect(x, 0xc038, 0x8b696e4557f1c000L, 0x20);
    }

    @Test
    void quietNanWinsOverSignallingNan() {
        Ext80Math x = math(0xb7f);
        x.add(0xffff, 0x9edeb960ca362defL, 0x7fff, 0xd1be8e6d5e84f857L, true); // SNaN - QNaN
        expect(x, 0x7fff, 0xd1be8e6d5e84f857L, 0x01);
    }

    @Test
    void pseudoNanOperandIsInvalid() {
        Ext80Math x = math(0x37f);
        x.add(0x7fff, 0x57674e5062ff4d3fL, 0x7fff, 0xae73c46cad1c5ba2L, false);
        expect(x, 0xffff, 0xc000000000000000L, 0x01);
    }

    @Test
    void zeroDivideOfADenormalReportsOnlyZe() {
        Ext80Math x = math(0xb7f);
        x.div(0x8000, 0x0e0c3df9aaf75bf0L, 0x8000, 0);
        expect(x, 0x7fff, 0x8000000000000000L, 0x04);
    }

    @Test
    void storingATinyValueToDoubleRoundsUpUnderRoundUp() {
        Ext80Math x = math(0xb7f);
        long bits = Ext80Ieee.store(0x0000, 0x0000002464f7a01fL, 52, 11, 2, x);
        assertThat(bits).isEqualTo(1L);
        assertThat(x.flags & 0x3f).isEqualTo(0x30); // underflow and precision
    }
}
