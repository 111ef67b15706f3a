package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.sys.CpuidModel;

class MmxTest extends CpuTestSupport {

    @Test
    void mmxAddAliasesTheX87RegistersAndEmmsFreesThem() {
        st.gpr[0] = 0x01020304_05060708L;
        st.gpr[1] = 0x01010101_01010101L;
        st.gpr[3] = DATA;
        CpuExit e = run("48 0f 6e c0 " // movq mm0, rax
                + "48 0f 6e c9 " // movq mm1, rcx
                + "0f fc c1 " // paddb mm0, mm1
                + "0f 7f 03 " // movq [rbx], mm0
                + "0f 77 " // emms
                + "d9 e8 " // fld1 (would overflow the stack without EMMS freeing it)
                + "dd 5b 08"); // fstp qword [rbx+8]
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(q(DATA)).isEqualTo(0x02030405_06070809L);
        assertThat(Double.longBitsToDouble(q(DATA + 8))).isEqualTo(1.0);
    }

    @Test
    void mmxShiftImmediateAndUnpack() {
        st.gpr[0] = 0x0000_0000_8000_0001L;
        run("48 0f 6e c0 " // movq mm0, rax
                + "0f 72 e0 01 " // psrad mm0, 1
                + "0f 62 c0 " // punpckldq mm0, mm0
                + "48 0f 7e c3"); // movq rbx, mm0
        assertThat(r(3)).isEqualTo(0xc0000000_c0000000L);
    }

    @Test
    void cpuidAdvertisesTheX8664BaselineGlibcRequires() {
        st.gpr[0] = 1;
        run("0f a2");
        long need = CpuidModel.EDX1_FPU | CpuidModel.EDX1_CX8 | CpuidModel.EDX1_CMOV | CpuidModel.EDX1_FXSR
                | CpuidModel.EDX1_MMX | CpuidModel.EDX1_SSE | CpuidModel.EDX1_SSE2;
        assertThat(r(2) & need).isEqualTo(need);
    }

    @Test
    void punpcklWithAMemoryOperandReadsOnlyFourBytes() {
        long end = CODE + 0x10000; // the first unmapped byte
        mem.write32(end - 4, 0xa1b2c3d4);
        st.gpr[0] = 0x11223344_55667788L;
        CpuExit e = run("48 0f 6e c8 " // movq mm1, rax
                + "0f 60 0c 25 fc ff 01 00 " // punpcklbw mm1, [0x1fffc] (m32: ends at the boundary)
                + "48 0f 7e cb"); // movq rbx, mm1
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(3)).isEqualTo(0xa155_b266_c377_d488L);
    }
}
