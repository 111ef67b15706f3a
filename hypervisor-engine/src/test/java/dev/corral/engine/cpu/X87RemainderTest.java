package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;

/** FPREM, FPREM1, FSCALE and FXTRACT (advertised with the FPU, so they must not be #UD). */
class X87RemainderTest extends CpuTestSupport {

    private static final int CC = 0x4700; // C3 C2 C1 C0

    /** Runs fld [rbx+8] (ST1), fld [rbx] (ST0), {@code op}, fnstsw ax, fstp qword [rbx+16]. */
    private double run2(double st0, double st1, String op) {
        st.gpr[3] = DATA;
        mem.write64(DATA, Double.doubleToRawLongBits(st0));
        mem.write64(DATA + 8, Double.doubleToRawLongBits(st1));
        CpuExit e = run("dd 43 08 dd 03 " + op + " df e0 dd 5b 10");
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        return Double.longBitsToDouble(q(DATA + 16));
    }

    @Test
    void fpremTruncatesTheQuotientAndReportsItsLowBits() {
        assertThat(run2(7.5, 2, "d9 f8")).isEqualTo(1.5); // q = 3
        assertThat(r(0) & CC).isEqualTo(0x4200); // C3 = q1, C1 = q0
        st.rip = CODE;
        assertThat(run2(-7.5, 2, "d9 f8")).isEqualTo(-1.5);
        assertThat(r(0) & CC).isEqualTo(0x4200);
        st.rip = CODE;
        assertThat(run2(-0.0, 3, "d9 f8")).isEqualTo(-0.0);
    }

    @Test
    void fprem1RoundsTheQuotientToNearest() {
        assertThat(run2(7.5, 2, "d9 f5")).isEqualTo(-0.5); // q = 4
        assertThat(r(0) & CC).isEqualTo(0x0100); // C0 = q2
        st.rip = CODE;
        assertThat(run2(5.0, 2, "d9 f5")).isEqualTo(1.0); // 2.5 rounds to even 2
    }

    @Test
    void fpremOfFarApartExponentsIsPartialUntilC2Clears() {
        st.gpr[3] = DATA;
        mem.write64(DATA, Double.doubleToRawLongBits(0x1p100));
        mem.write64(DATA + 8, Double.doubleToRawLongBits(3));
        run("dd 43 08 dd 03 d9 f8 df e0 66 89 43 18"); // ... fprem; fnstsw ax; mov [rbx+24], ax
        assertThat(mem.read16(DATA + 24) & CC).isEqualTo(0x0400); // C2: incomplete
        st.rip = CODE;
        run("dd 43 08 dd 03 "
                + "d9 f8 df e0 f6 c4 04 75 f7 " // again: fprem; fnstsw ax; test ah, 4; jnz again
                + "dd 5b 10");
        assertThat(Double.longBitsToDouble(q(DATA + 16))).isEqualTo(1.0); // 2^100 = 4^50 = 1 mod 3
    }

    @Test
    void fpremOfInfinityOrByZeroIsInvalid() {
        assertThat(run2(Double.POSITIVE_INFINITY, 2, "d9 f8")).isNaN();
        assertThat(r(0) & 1).isEqualTo(1);
        st.rip = CODE;
        assertThat(run2(5, Double.POSITIVE_INFINITY, "d9 f8")).isEqualTo(5.0);
    }

    @Test
    void fscaleTruncatesTheScaleTowardZero() {
        assertThat(run2(1.5, -2.7, "d9 fd")).isEqualTo(0.375);
        st.rip = CODE;
        assertThat(run2(3, 10.9, "d9 fd")).isEqualTo(3072.0);
        assertThat(r(0) & 0x3f).isZero();
    }

    @Test
    void fscaleOverflowAndInfiniteScales() {
        assertThat(run2(1, 20000, "d9 fd")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(r(0) & 0x28).isEqualTo(0x28); // OE and PE
        st.rip = CODE;
        assertThat(run2(-5, Double.NEGATIVE_INFINITY, "d9 fd")).isEqualTo(-0.0);
        st.rip = CODE;
        assertThat(run2(0, Double.POSITIVE_INFINITY, "d9 fd")).isNaN();
        assertThat(r(0) & 1).isEqualTo(1);
    }

    @Test
    void fxtractSplitsExponentAndSignificand() {
        st.gpr[3] = DATA;
        mem.write64(DATA, Double.doubleToRawLongBits(-12.0));
        mem.write64(DATA + 8, Double.doubleToRawLongBits(0x1p-1060)); // a denormal double: exact in 80 bits
        run("dd 03 d9 f4 " // fld qword [rbx]; fxtract
                + "dd 5b 10 dd 5b 18 " // fstp qword [rbx+16] (significand); fstp qword [rbx+24] (exponent)
                + "dd 43 08 d9 f4 dd 5b 20 dd 5b 28 " // the same for the denormal
                + "d9 ee d9 f4 dd 5b 30 dd 5b 38 df e0"); // fldz; fxtract: -inf and 0, zero-divide
        assertThat(Double.longBitsToDouble(q(DATA + 16))).isEqualTo(-1.5);
        assertThat(Double.longBitsToDouble(q(DATA + 24))).isEqualTo(3.0);
        assertThat(Double.longBitsToDouble(q(DATA + 32))).isEqualTo(1.0);
        assertThat(Double.longBitsToDouble(q(DATA + 40))).isEqualTo(-1060.0);
        assertThat(Double.longBitsToDouble(q(DATA + 48))).isEqualTo(0.0);
        assertThat(Double.longBitsToDouble(q(DATA + 56))).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(r(0) & 0x04).isEqualTo(0x04);
    }
}
