package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuState;

class StringAndSelfModifyingTest extends CpuTestSupport {

    @Test
    void repMovsbCopiesForwardAndAdvancesPointers() {
        for (int k = 0; k < 100; k++) {
            mem.write8(DATA + k, k);
        }
        st.gpr[6] = DATA;
        st.gpr[7] = DATA + 0x1000;
        st.gpr[1] = 100;
        run("f3 a4"); // rep movsb
        for (int k = 0; k < 100; k++) {
            assertThat(mem.read8(DATA + 0x1000 + k)).isEqualTo(k);
        }
        assertThat(r(1)).isZero();
        assertThat(r(6)).isEqualTo(DATA + 100);
        assertThat(r(7)).isEqualTo(DATA + 0x1100 - 0x100 + 100);
    }

    @Test
    void repMovsbOverlappingAheadReplicatesLikeBytewiseCopy() {
        mem.write8(DATA, 0xab);
        st.gpr[6] = DATA;
        st.gpr[7] = DATA + 1;
        st.gpr[1] = 20;
        run("f3 a4");
        for (int k = 0; k <= 20; k++) {
            assertThat(mem.read8(DATA + k)).isEqualTo(0xab);
        }
    }

    @Test
    void repStosqBackwardsWithDirectionFlag() {
        st.gpr[0] = 0x1111;
        st.gpr[7] = DATA + 16;
        st.gpr[1] = 3;
        run("fd f3 48 ab fc"); // std; rep stosq; cld
        assertThat(q(DATA + 16)).isEqualTo(0x1111);
        assertThat(q(DATA + 8)).isEqualTo(0x1111);
        assertThat(q(DATA)).isEqualTo(0x1111);
        assertThat(r(7)).isEqualTo(DATA - 8);
    }

    @Test
    void repneScasbFindsTheTerminator() {
        mem.load(DATA, 'h', 'e', 'l', 'l', 'o', 0);
        st.gpr[0] = 0;
        st.gpr[7] = DATA;
        st.gpr[1] = -1;
        run("f2 ae"); // repne scasb
        assertThat(r(7)).isEqualTo(DATA + 6);
        assertThat(r(1)).isEqualTo(-7);
        assertThat(flag(CpuState.ZF)).isTrue();
    }

    @Test
    void repeCmpsbStopsAtFirstDifference() {
        mem.load(DATA, 'a', 'b', 'c');
        mem.load(DATA + 0x100, 'a', 'b', 'x');
        st.gpr[6] = DATA;
        st.gpr[7] = DATA + 0x100;
        st.gpr[1] = 3;
        run("f3 a6"); // repe cmpsb
        assertThat(r(1)).isZero();
        assertThat(flag(CpuState.ZF)).isFalse();
        assertThat(flag(CpuState.CF)).isTrue(); // 'c' < 'x'
    }

    @Test
    void lodsWithDirectionFlagWalksDown() {
        mem.write32(DATA, 0x11223344);
        st.gpr[6] = DATA;
        run("fd ad fc"); // std; lodsd; cld
        assertThat(r(0)).isEqualTo(0x11223344L);
        assertThat(r(6)).isEqualTo(DATA - 4);
    }

    @Test
    void storeRewritingTheNextInstructionTakesEffect() {
        // mov byte [rip+1], 0x02 ; (next) add eax, 1 -> rewritten to add eax, 2
        // c6 05 <rel32=1> 02 : the immediate byte of the following "83 c0 01" is at next+2
        st.gpr[0] = 0;
        run("c6 05 02 00 00 00 02 " // mov byte [rip+2], 2
                + "83 c0 01"); // add eax, 1
        assertThat(r(0)).isEqualTo(2);
    }

    @Test
    void rewrittenLoopBodyIsRedecodedOnTheNextPass() {
        // L: add eax, 1 ; mov byte [rip-7 ...] patches the add's immediate; dec ecx; jnz L
        // 0: 83 c0 01           add eax, 1
        // 3: c6 05 f8 ff ff ff 05  mov byte [rip-8], 5   (rip after = 10, target 2)
        // 10: ff c9             dec ecx
        // 12: 75 ec             jnz 0
        st.gpr[1] = 3;
        run("83 c0 01 c6 05 f8 ff ff ff 05 ff c9 75 f2");
        assertThat(r(0)).isEqualTo(1 + 5 + 5);
    }
}
