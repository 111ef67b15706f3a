package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

class SseTest extends CpuTestSupport {

    private void xmm(int r, long lo, long hi) {
        st.xmm[2 * r] = lo;
        st.xmm[2 * r + 1] = hi;
    }

    private static long d(double v) {
        return Double.doubleToRawLongBits(v);
    }

    @Test
    void strlenStyleByteCompareFindsTheZeroByte() {
        mem.load(DATA, 'a', 'b', 'c', 0, 'x');
        st.gpr[0] = DATA;
        CpuExit e = run("66 0f ef c9 " // pxor xmm1, xmm1
                + "66 0f 6f 00 " // movdqa xmm0, [rax]
                + "66 0f 74 c1 " // pcmpeqb xmm0, xmm1
                + "66 0f d7 c0 " // pmovmskb eax, xmm0
                + "0f bc c0"); // bsf eax, eax
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(0)).isEqualTo(3);
    }

    @Test
    void misalignedMovdqaIsGpButMovdquIsFine() {
        st.gpr[0] = DATA + 1;
        CpuExit e = run("f3 0f 6f 08 66 0f 6f 00"); // movdqu xmm1, [rax]; movdqa xmm0, [rax]
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.GP);
        assertThat(st.rip).isEqualTo(CODE + 4);
    }

    @Test
    void broadcastAByteWithMovdPunpckPshufd() {
        st.gpr[1] = 0x5a;
        run("66 0f 6e d9 " // movd xmm3, ecx
                + "66 0f 60 db " // punpcklbw xmm3, xmm3
                + "f2 0f 70 db 00 " // pshuflw xmm3, xmm3, 0
                + "66 0f 70 db 00 " // pshufd xmm3, xmm3, 0
                + "66 48 0f 7e d8"); // movq rax, xmm3
        assertThat(r(0)).isEqualTo(0x5a5a5a5a5a5a5a5aL);
        assertThat(st.xmm[7]).isEqualTo(0x5a5a5a5a5a5a5a5aL);
    }

    @Test
    void scalarDoubleArithmeticKeepsTheUpperHalf() {
        xmm(0, d(1.5), 77);
        xmm(1, d(0.25), 88);
        run("f2 0f 58 c1 " // addsd xmm0, xmm1
                + "f2 0f 59 c1"); // mulsd xmm0, xmm1
        assertThat(Double.longBitsToDouble(st.xmm[0])).isEqualTo(0.4375);
        assertThat(st.xmm[1]).isEqualTo(77);
    }

    @Test
    void invalidOperationGivesTheDefaultNanAndSetsInvalidFlag() {
        xmm(0, d(0.0), 0);
        xmm(1, d(0.0), 0);
        run("f2 0f 5e c1"); // divsd xmm0, xmm1
        assertThat(st.xmm[0]).isEqualTo(0xfff8000000000000L);
        assertThat(st.mxcsr & 1).isEqualTo(1);
    }

    @Test
    void divideByZeroSetsZeAndGivesInfinity() {
        xmm(0, d(1.0), 0);
        xmm(1, d(0.0), 0);
        run("f2 0f 5e c1"); // divsd xmm0, xmm1
        assertThat(Double.longBitsToDouble(st.xmm[0])).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(st.mxcsr & 0x3f).isEqualTo(4);
    }

    @Test
    void inexactSetsPrecisionFlag() {
        xmm(0, d(1.0), 0);
        xmm(1, d(3.0), 0);
        run("f2 0f 5e c1");
        assertThat(st.mxcsr & 0x20).isEqualTo(0x20);
    }

    @Test
    void firstNanOperandIsPropagatedQuieted() {
        long snan = 0x7ff0000000000001L;
        xmm(0, 0x7ff8000000000002L, 0);
        xmm(1, snan, 0);
        run("f2 0f 58 c1"); // addsd xmm0, xmm1
        assertThat(st.xmm[0]).isEqualTo(0x7ff8000000000002L);
        assertThat(st.mxcsr & 1).as("SNaN operand is invalid").isEqualTo(1);
    }

    @Test
    void unmaskedExceptionIsXmAndLeavesTheDestination() {
        st.mxcsr = 0x1f80 & ~(1 << 9); // unmask divide-by-zero
        xmm(0, d(1.0), 0);
        xmm(1, d(0.0), 0);
        CpuExit e = run("f2 0f 5e c1");
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.XM);
        assertThat(Double.longBitsToDouble(st.xmm[0])).isEqualTo(1.0);
    }

    @Test
    void truncatingConversionOutOfRangeIsIntegerIndefinite() {
        xmm(0, d(1e300), 0);
        xmm(1, d(-2.7), 0);
        run("f2 48 0f 2c c0 " // cvttsd2si rax, xmm0
                + "f2 0f 2c d9 " // cvttsd2si ebx, xmm1
                + "f2 0f 2d d1"); // cvtsd2si edx, xmm1 (round to nearest)
        assertThat(r(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(r(3)).isEqualTo(0xfffffffeL);
        assertThat(r(2)).isEqualTo(0xfffffffdL);
    }

    @Test
    void cvtsi2sdAndBack() {
        st.gpr[0] = -42;
        run("f2 48 0f 2a c0"); // cvtsi2sd xmm0, rax
        assertThat(Double.longBitsToDouble(st.xmm[0])).isEqualTo(-42.0);
    }

    @Test
    void ucomisdSetsZfPfCfAndClearsTheRest() {
        xmm(0, d(1.0), 0);
        xmm(1, d(2.0), 0);
        st.rflags |= CpuState.OF | CpuState.SF;
        run("66 0f 2e c1"); // ucomisd xmm0, xmm1
        assertThat(st.rflags & Alu.ARITH).isEqualTo(CpuState.CF);
        xmm(1, 0x7ff8000000000000L, 0);
        st.rip = CODE;
        cpu.run(10);
        assertThat(st.rflags & Alu.ARITH).isEqualTo(CpuState.CF | CpuState.PF | CpuState.ZF);
    }

    @Test
    void packedSingleMultiplyAllFourLanes() {
        long two = Float.floatToRawIntBits(2f) & 0xffffffffL;
        long three = Float.floatToRawIntBits(3f) & 0xffffffffL;
        xmm(0, two | (two << 32), two | (two << 32));
        xmm(1, three | (two << 32), three | (three << 32));
        run("0f 59 c1"); // mulps xmm0, xmm1
        assertThat(Float.intBitsToFloat((int) st.xmm[0])).isEqualTo(6f);
        assertThat(Float.intBitsToFloat((int) (st.xmm[0] >>> 32))).isEqualTo(4f);
        assertThat(Float.intBitsToFloat((int) (st.xmm[1] >>> 32))).isEqualTo(6f);
    }

    @Test
    void minsdReturnsTheSecondOperandForEqualZeros() {
        xmm(0, d(0.0), 0);
        xmm(1, d(-0.0), 0);
        run("f2 0f 5d c1"); // minsd xmm0, xmm1
        assertThat(st.xmm[0]).isEqualTo(d(-0.0));
    }

    @Test
    void byteShiftsAcrossTheWholeRegister() {
        xmm(0, 0x0807060504030201L, 0x100f0e0d0c0b0a09L);
        run("66 0f 73 d8 03"); // psrldq xmm0, 3
        assertThat(st.xmm[0]).isEqualTo(0x0b0a090807060504L);
        assertThat(st.xmm[1]).isEqualTo(0x000000100f0e0d0cL);
    }

    @Test
    void packuswbSaturates() {
        xmm(0, 0x7fff_0100_00ff_ffffL, 0);
        xmm(1, 0, 0);
        run("66 0f 67 c1"); // packuswb xmm0, xmm1
        assertThat(st.xmm[0]).isEqualTo(0x00000000_ffffff00L);
    }

    @Test
    void mxcsrRoundTripsAndReservedBitsAreGp() {
        st.gpr[0] = DATA;
        mem.write32(DATA, 0x3f80);
        run("0f ae 10 0f ae 5c 24 f8"); // ldmxcsr [rax]; stmxcsr [rsp-8]
        assertThat(mem.read32(STACK - 8)).isEqualTo(0x3f80);
        mem.write32(DATA, 0x10000);
        st.rip = CODE;
        CpuExit e = cpu.run(10);
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.GP);
    }

    @Test
    void unadvertisedSse3AndSsse3AreUd() {
        CpuExit e = run("f2 0f 7c c1"); // haddps xmm0, xmm1 (SSE3)
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.UD);
        st.rip = CODE;
        mem.load(CODE, hex("66 0f 38 00 c1")); // pshufb xmm0, xmm1 (SSSE3)
        e = cpu.run(10);
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.UD);
    }

    @Test
    void roundingControlDirectsDivision() {
        xmm(0, d(1.0), 0);
        xmm(1, d(3.0), 0);
        st.mxcsr = 0x1f80 | (1 << 13); // round down
        run("f2 0f 5e c1"); // divsd xmm0, xmm1
        long down = st.xmm[0];
        xmm(0, d(1.0), 0);
        st.mxcsr = 0x1f80 | (2 << 13); // round up
        st.rip = CODE;
        cpu.run(10);
        long up = st.xmm[0];
        assertThat(up - down).isEqualTo(1); // adjacent doubles around 1/3
        // the nearest double to 1/3 lies below it, so rounding down agrees with nearest and up does not
        assertThat(Double.longBitsToDouble(down)).isEqualTo(1.0 / 3);
        assertThat(Double.longBitsToDouble(up)).isEqualTo(Math.nextUp(1.0 / 3));
    }

    @Test
    void exactZeroDifferenceIsNegativeZeroWhenRoundingDown() {
        xmm(0, d(2.5), 0);
        xmm(1, d(2.5), 0);
        st.mxcsr = 0x1f80 | (1 << 13);
        run("f2 0f 5c c1"); // subsd xmm0, xmm1
        assertThat(st.xmm[0]).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void denormalsAreZeroReadsDenormalOperandsAsSignedZero() {
        st.mxcsr = 0x1f80 | 0x40; // DAZ
        xmm(0, d(1.0), 0);
        xmm(1, 0x8000000000000001L, 0); // the smallest negative denormal
        run("f2 0f 5d c1"); // minsd xmm0, xmm1
        assertThat(st.xmm[0]).isEqualTo(Long.MIN_VALUE); // -0.0, and no DE
        assertThat(st.mxcsr & 0x3f).isZero();
    }

    @Test
    void flushToZeroTurnsTinyResultsIntoZeroWithUnderflowAndPrecision() {
        st.mxcsr = 0x1f80 | 0x8000; // FZ, underflow masked
        xmm(0, d(Double.MIN_NORMAL), 0);
        xmm(1, d(0.5), 0);
        run("f2 0f 59 c1"); // mulsd xmm0, xmm1 -> exactly MIN_NORMAL/2, a denormal
        assertThat(st.xmm[0]).isZero();
        assertThat(st.mxcsr & 0x30).isEqualTo(0x30);
    }

    @Test
    void unmaskedOverflowOfAnExactSignificandReportsOnlyOverflow() {
        st.mxcsr = 0x1f80 & ~(1 << 10); // overflow unmasked
        xmm(0, 0, 0);
        xmm(1, d(0x1p200), 0); // fits 24 bits, not the single range
        CpuExit e = run("f2 0f 5a c1"); // cvtsd2ss xmm0, xmm1
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.XM);
        assertThat(st.mxcsr & 0x3f).isEqualTo(0x08);
        assertThat(st.xmm[0]).isZero(); // no result is written
    }

    @Test
    void unmaskedUnderflowOfAnExactQuotientReportsOnlyUnderflow() {
        // cpu-diff vector: divss of the smallest normal by -2^65, everything unmasked, FTZ, RC=up
        st.mxcsr = 0xe000;
        xmm(5, 0x00800000L, 0);
        xmm(12, 0xe0000000L, 0);
        CpuExit e = run("f3 41 0f 5e ec"); // divss xmm5, xmm12
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.XM);
        assertThat(st.mxcsr).isEqualTo(0xe010);
        assertThat(st.xmm[10]).isEqualTo(0x00800000L); // no result is written
    }

    @Test
    void unmaskedUnderflowOfARoundedSignificandAlsoReportsPrecision() {
        st.mxcsr = 0x1f80 & ~(1 << 11); // underflow unmasked
        xmm(0, d(0x1p-1000 / 3), 0); // 53 significant bits, times 3: 55 bits to round
        xmm(1, d(3 * 0x1p-60), 0);
        CpuExit e = run("f2 0f 59 c1"); // mulsd xmm0, xmm1
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.XM);
        assertThat(st.mxcsr & 0x3f).isEqualTo(0x30);
        st.mxcsr = 0x1f80 & ~(1 << 11);
        st.rip = CODE;
        xmm(0, d((1 + 0x1p-50) * 0x1p-1000), 0); // rounded as a denormal, exact in 53 bits
        xmm(1, d(0x1p-60), 0);
        e = run("f2 0f 59 c1");
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.XM);
        assertThat(st.mxcsr & 0x3f).isEqualTo(0x10);
    }

    @Test
    void unmaskedUnderflowOfADenormalDoubleToSingleCountsOnlyItsSignificantBits() {
        // cpu-diff vector: cvtsd2ss of the denormal 0x140200000 (13 significant bits), UM=OM=PM=0, FZ
        st.mxcsr = 0xa180;
        xmm(2, 0x0000000140200000L, 0);
        CpuExit e = run("f2 0f 5a fa"); // cvtsd2ss xmm7, xmm2
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.XM);
        assertThat(st.mxcsr).isEqualTo(0xa192); // DE (masked) and UE, no PE
    }
}
