package dev.corral.engine.cpu;

import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.ZF;
import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.cpu.decode.Decoder;
import dev.corral.engine.cpu.decode.Op;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.sys.CpuidModel;
import org.junit.jupiter.api.Test;

/**
 * PAUSE (F3 90): a NOP to the guest, in both tiers (the translated-cpu execution forces translation); every 64th one a
 * vCPU runs gives its host thread up (counted in {@link CpuStats#pauseYields}), so a guest spinning on a lock whose
 * holder's thread the host preempted lets that thread run. NOP (90) and XCHG R8, RAX (49 90) are not PAUSE.
 */
class PauseTest extends CpuTestSupport {

    @Test
    void changesNothingButRip() {
        st.gpr[0] = 0x1234;
        st.gpr[8] = 0x5678;
        st.rflags |= CF | ZF;
        CpuExit e = run("f3 90 f3 90 90");
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(st.rip).isEqualTo(CODE + 6); // after the HLT
        assertThat(r(0)).isEqualTo(0x1234);
        assertThat(r(8)).isEqualTo(0x5678);
        assertThat(flag(CF) && flag(ZF)).isTrue();
        assertThat(cpu.stats().pauseYields()).isZero();
    }

    @Test
    void aSpinLoopYieldsEverySixtyFourthPause() {
        // mov ecx, 640; spin: pause; dec ecx; jnz spin
        CpuExit e = run("b9 80 02 00 00 f3 90 ff c9 75 fa");
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(1)).isZero();
        assertThat(flag(ZF)).isTrue();
        assertThat(cpu.stats().pauseYields()).isEqualTo(10);
        assertThat(cpu.stats().interpreted() + cpu.stats().translated()).isEqualTo(1 + 3 * 640 + 1);
    }

    @Test
    void onlyTheRepeatPrefixMakesPause() {
        mem.load(CODE, hex("f3 90 90 49 90"));
        var d = new Decoder(mem, CpuidModel.standard());
        assertThat(d.decode(CODE).op).isEqualTo(Op.PAUSE);
        assertThat(d.decode(CODE + 2).op).isEqualTo(Op.NOP);
        assertThat(d.decode(CODE + 3).op).isEqualTo(Op.XCHG);
    }
}
