package dev.corral.engine.cpu.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.CpuTestSupport;
import dev.corral.engine.cpu.state.CpuExit;

class MulDivTest extends CpuTestSupport {

    private static BigInteger u(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    @Test
    void unsigned128By64DivisionAgreesWithBigInteger() {
        Random rnd = new Random(Long.getLong("cpu.muldiv.seed", 7));
        for (int k = 0; k < 200_000; k++) {
            long d = rnd.nextLong() >>> rnd.nextInt(64);
            if (d == 0) {
                continue;
            }
            long hi = switch (k % 4) { // the extremes of the dividend's high word, where the corrections happen
                case 0 -> d - 1;
                case 1 -> Long.remainderUnsigned(rnd.nextLong() >>> rnd.nextInt(64), d);
                default -> Long.remainderUnsigned(rnd.nextLong(), d);
            };
            long lo = k % 8 == 0 ? -1 : k % 8 == 1 ? 0 : rnd.nextLong();
            assertDivides(hi, lo, d);
        }
        long[] edges = {1, 2, 3, 0xffff_ffffL, 1L << 32, (1L << 32) + 1, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, 0x8000_0001L,
                0xffff_ffff_0000_0001L};
        for (long d : edges) {
            for (long hi : new long[] {0, 1, d - 1, d >>> 1, Long.divideUnsigned(d, 3)}) {
                for (long lo : new long[] {0, 1, -1, Long.MIN_VALUE, 0xffff_ffffL, d}) {
                    if (Long.compareUnsigned(hi, d) < 0) {
                        assertDivides(hi, lo, d);
                    }
                }
            }
        }
    }

    private static void assertDivides(long hi, long lo, long d) {
        BigInteger n = u(hi).shiftLeft(64).or(u(lo));
        BigInteger[] qr = n.divideAndRemainder(u(d));
        long q = MulDiv.udiv128(hi, lo, d);
        assertThat(u(q)).as("%x:%x / %x", hi, lo, d).isEqualTo(qr[0]);
        assertThat(u(lo - q * d)).as("%x:%x %% %x", hi, lo, d).isEqualTo(qr[1]);
    }

    @Test
    void signed128DivisionOfMostNegativeQuotientFits() {
        st.gpr[2] = -1;
        st.gpr[0] = Long.MIN_VALUE; // rdx:rax = -2^63
        st.gpr[1] = 1;
        CpuExit e = run("48 f7 f9"); // idiv rcx
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(r(2)).isZero();
    }

    @Test
    void signed128DivisionOverflowIsDe() {
        st.gpr[2] = -1;
        st.gpr[0] = Long.MIN_VALUE;
        st.gpr[1] = -1; // 2^63 does not fit
        CpuExit e = run("48 f7 f9");
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.DE);
    }
}
