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
        Random rnd = new Random(7);
        for (int k = 0; k < 5000; k++) {
            long d = rnd.nextLong() >>> rnd.nextInt(64);
            if (d == 0) {
                continue;
            }
            long hi = Long.remainderUnsigned(rnd.nextLong(), d);
            long lo = rnd.nextLong();
            BigInteger n = u(hi).shiftLeft(64).or(u(lo));
            BigInteger[] qr = n.divideAndRemainder(u(d));
            long q = MulDiv.udiv128(hi, lo, d);
            assertThat(u(q)).isEqualTo(qr[0]);
            assertThat(u(lo - q * d)).isEqualTo(qr[1]);
        }
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
