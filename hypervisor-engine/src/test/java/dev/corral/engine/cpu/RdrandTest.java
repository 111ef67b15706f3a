package dev.corral.engine.cpu;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;
import static dev.corral.engine.cpu.state.CpuState.PF;
import static dev.corral.engine.cpu.state.CpuState.SF;
import static dev.corral.engine.cpu.state.CpuState.ZF;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.sys.CpuidModel;
import org.junit.jupiter.api.Test;

/**
 * RDRAND and RDSEED (0F C7 /6 and /7, register forms): advertised, always ready (CF set, OF SF ZF AF PF clear),
 * written at the operand size like any register result, different every time; the memory forms and RDPID (F3 0F C7
 * /7) stay #UD. Runs in both tiers (the translated-cpu execution forces translation).
 */
class RdrandTest extends CpuTestSupport {

    private long arith() {
        return st.rflags & (CF | PF | AF | ZF | SF | OF);
    }

    @Test
    void cpuidAdvertisesBoth() {
        int[] out = new int[4];
        CpuidModel.standard().query(1, 0, out);
        assertThat(out[2] & CpuidModel.ECX1_RDRAND).isNotZero();
        CpuidModel.standard().query(7, 0, out);
        assertThat(out[1] & CpuidModel.EBX7_RDSEED).isNotZero();
    }

    @Test
    void sixtyFourBitsAreReadyAndDifferEveryTime() {
        var seen = new HashSet<Long>();
        for (int k = 0; k < 8; k++) {
            st.rflags |= OF | SF | ZF | AF | PF;
            st.rflags &= ~CF;
            st.rip = CODE;
            run(k % 2 == 0 ? "48 0f c7 f0" : "49 0f c7 f9"); // rdrand rax / rdseed r9
            assertThat(arith()).isEqualTo(CF);
            seen.add(r(k % 2 == 0 ? 0 : 9));
        }
        assertThat(seen).hasSize(8);
    }

    @Test
    void narrowerResultsAreWrittenAsAnyRegisterResultIs() {
        var high = new HashSet<Long>();
        for (int k = 0; k < 16; k++) {
            st.gpr[1] = 0x1122334455667788L;
            st.gpr[2] = 0x1122334455667788L;
            st.rip = CODE;
            run("0f c7 f1 66 0f c7 fa"); // rdrand ecx; rdseed dx
            assertThat(r(1) >>> 32).as("a 32-bit result zero-extends").isZero();
            assertThat(r(2) & ~0xffffL).as("a 16-bit result keeps the rest").isEqualTo(0x1122334455660000L);
            high.add(r(1) >>> 16);
        }
        assertThat(high.size()).as("all 32 bits random, not just the low ones").isGreaterThan(8);
    }

    @Test
    void memoryFormsAndRdpidAreUndefined() {
        for (String code : new String[] {"0f c7 30", "0f c7 38", "f3 0f c7 f8", "f0 0f c7 f0"}) { // rdrand [rax]; [rax] /7; rdpid; lock
            st.rip = CODE;
            CpuExit e = run(code);
            assertThat(e).as(code).isInstanceOf(CpuExit.Fault.class);
            assertThat(((CpuExit.Fault) e).vector()).as(code).isEqualTo(CpuExit.Fault.UD);
            assertThat(st.rip).as(code).isEqualTo(CODE);
        }
    }
}
