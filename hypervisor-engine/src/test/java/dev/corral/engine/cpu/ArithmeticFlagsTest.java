package dev.corral.engine.cpu;

import static dev.corral.engine.cpu.state.CpuState.AF;
import static dev.corral.engine.cpu.state.CpuState.CF;
import static dev.corral.engine.cpu.state.CpuState.OF;
import static dev.corral.engine.cpu.state.CpuState.PF;
import static dev.corral.engine.cpu.state.CpuState.SF;
import static dev.corral.engine.cpu.state.CpuState.ZF;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;

class ArithmeticFlagsTest extends CpuTestSupport {

    private long arith() {
        return st.rflags & (CF | PF | AF | ZF | SF | OF);
    }

    @Test
    void adcWithCarryInSetsOverflowOnSignedWrap() {
        st.rflags |= CF;
        st.gpr[0] = 0x7fffffff;
        st.gpr[1] = 0;
        run("11 c8"); // adc eax, ecx
        assertThat(r(0)).isEqualTo(0x80000000L);
        // 0x7fffffff + 0 + 1: signed overflow, no carry, AF from bit 3, sign set, PF of 0x00 even
        assertThat(arith()).isEqualTo(OF | SF | AF | PF);
    }

    @Test
    void sbbBorrowsThroughZero() {
        st.gpr[0] = 0;
        run("1c 01"); // sbb al, 1  (CF clear)
        assertThat(r(0)).isEqualTo(0xff);
        assertThat(arith()).isEqualTo(CF | SF | AF | PF);
    }

    @Test
    void subOfEqualValuesSetsZeroAndParity() {
        st.gpr[0] = 0x1234;
        st.gpr[1] = 0x1234;
        run("48 39 c8"); // cmp rax, rcx
        assertThat(arith()).isEqualTo(ZF | PF);
        assertThat(r(0)).isEqualTo(0x1234);
    }

    @Test
    void logicClearsCarryAndOverflow() {
        st.rflags |= CF | OF;
        st.gpr[0] = 0xf0;
        st.gpr[1] = 0x0f;
        run("21 c8"); // and eax, ecx
        assertThat(arith()).isEqualTo(ZF | PF);
    }

    @Test
    void incKeepsCarryAndSetsOverflowAtSignedMax() {
        st.rflags |= CF;
        st.gpr[0] = 0x7f;
        run("fe c0"); // inc al
        assertThat(r(0)).isEqualTo(0x80);
        assertThat(arith()).isEqualTo(CF | OF | SF | AF);
    }

    @Test
    void negOfZeroClearsCarryAndOfNonZeroSetsIt() {
        st.gpr[0] = 0;
        run("f7 d8"); // neg eax
        assertThat(flag(CF)).isFalse();
        assertThat(flag(ZF)).isTrue();
        st.rip = CODE;
        st.gpr[0] = 1;
        cpu.run(10);
        assertThat(r(0)).isEqualTo(0xffffffffL);
        assertThat(flag(CF)).isTrue();
    }

    @Test
    void shiftByClOfZeroLeavesFlagsAlone() {
        st.rflags |= CF | ZF | OF;
        st.gpr[0] = 5;
        st.gpr[1] = 32; // masked to 0 for 32-bit operands
        run("d3 e0"); // shl eax, cl
        assertThat(r(0)).isEqualTo(5);
        assertThat(arith()).isEqualTo(CF | ZF | OF);
    }

    @Test
    void shlSetsCarryFromLastBitOutAndOverflowFromSignChange() {
        st.gpr[0] = 0x40000000;
        st.gpr[1] = 2;
        run("d3 e0"); // shl eax, cl
        assertThat(r(0)).isEqualTo(0);
        assertThat(flag(CF)).isTrue();
        assertThat(flag(ZF)).isTrue();
    }

    @Test
    void sarReplicatesTheSignBit() {
        st.gpr[0] = 0x80000000L;
        run("c1 f8 1f"); // sar eax, 31
        assertThat(r(0)).isEqualTo(0xffffffffL);
        assertThat(flag(CF)).isFalse();
        assertThat(flag(SF)).isTrue();
    }

    @Test
    void rolOneSetsCarryFromLowBitAndOverflowFromTopXorCarry() {
        st.gpr[0] = 0x8000000000000000L;
        run("48 d1 c0"); // rol rax, 1
        assertThat(r(0)).isEqualTo(1);
        assertThat(flag(CF)).isTrue();
        assertThat(flag(OF)).isTrue();
    }

    @Test
    void rcrRotatesThroughCarry() {
        st.rflags |= CF;
        st.gpr[3] = 0x02;
        run("d0 db"); // rcr bl, 1
        assertThat(r(3)).isEqualTo(0x81);
        assertThat(flag(CF)).isFalse();
    }

    @Test
    void shldAndShrdBringInBitsFromTheSource() {
        st.gpr[0] = 0x0123456789abcdefL;
        st.gpr[2] = 0xf000000000000000L;
        st.gpr[1] = 8;
        run("48 0f a4 d0 04 " // shld rax, rdx, 4
                + "0f ad d0"); // shrd eax, edx, cl
        // after shld: 0x123456789abcdeff; shrd eax (0x9abcdeff) by 8 with edx low 0x00000000
        assertThat(r(0)).isEqualTo(0x009abcdeL);
        assertThat(flag(CF)).isTrue(); // last bit out of 0x9abcdeff >> 8 is bit 7 = 1
    }

    @Test
    void btOnMemoryUsesTheSignedBitOffsetBeyondTheOperand() {
        st.gpr[3] = DATA + 8;
        mem.write32(DATA + 4, 1 << 3); // bit 35 of [rbx-8], i.e. dword at rbx-4
        st.gpr[1] = -29; // -29 = dword -1, bit 3
        run("0f a3 0b"); // bt dword [rbx], ecx
        assertThat(flag(CF)).isTrue();
    }

    @Test
    void btsImmediateSetsTheBitAndReportsTheOldOne() {
        st.gpr[0] = 0;
        run("48 0f ba e8 3f"); // bts rax, 63
        assertThat(r(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(flag(CF)).isFalse();
    }

    @Test
    void bsfOfZeroSetsZeroFlagAndLeavesDestination() {
        st.gpr[0] = 99;
        st.gpr[1] = 0;
        run("48 0f bc c1"); // bsf rax, rcx
        assertThat(r(0)).isEqualTo(99);
        assertThat(flag(ZF)).isTrue();
    }

    @Test
    void tzcntLzcntPopcnt() {
        st.gpr[1] = 0x00f0;
        run("f3 0f bc c1 " // tzcnt eax, ecx
                + "f3 48 0f bd d1 " // lzcnt rdx, rcx
                + "f3 48 0f b8 d9"); // popcnt rbx, rcx
        assertThat(r(0)).isEqualTo(4);
        assertThat(r(2)).isEqualTo(56);
        assertThat(r(3)).isEqualTo(4);
    }

    @Test
    void divideByZeroIsDeAndLeavesStateUnchanged() {
        st.gpr[0] = 10;
        st.gpr[1] = 0;
        CpuExit e = run("48 f7 f1"); // div rcx
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.DE);
        assertThat(st.rip).isEqualTo(CODE);
        assertThat(r(0)).isEqualTo(10);
    }

    @Test
    void quotientOverflowIsDe() {
        st.gpr[0] = 0;
        st.gpr[2] = 0x80000000L; // edx:eax = 2^63; idiv by -1 cannot fit
        st.gpr[1] = 0xffffffffL;
        CpuExit e = run("f7 f9"); // idiv ecx
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.DE);
    }

    @Test
    void div128By64WithHighHalf() {
        st.gpr[2] = 1;
        st.gpr[0] = 0; // rdx:rax = 2^64
        st.gpr[1] = 3;
        run("48 f7 f1"); // div rcx
        assertThat(r(0)).isEqualTo(0x5555555555555555L);
        assertThat(r(2)).isEqualTo(1);
    }

    @Test
    void idivRoundsTowardZeroWithRemainderOfDividendSign() {
        st.gpr[0] = -7L & 0xffffffffL;
        st.gpr[2] = 0xffffffffL;
        st.gpr[1] = 2;
        run("f7 f9"); // idiv ecx
        assertThat(r(0)).isEqualTo(-3L & 0xffffffffL);
        assertThat(r(2)).isEqualTo(-1L & 0xffffffffL);
    }

    @Test
    void idiv128Signed() {
        st.gpr[0] = -100;
        st.gpr[2] = -1;
        st.gpr[1] = 7;
        run("48 f7 f9"); // idiv rcx
        assertThat(r(0)).isEqualTo(-14);
        assertThat(r(2)).isEqualTo(-2);
    }

    @Test
    void imulThreeOperandAndOneOperandOverflowFlags() {
        st.gpr[1] = 5;
        run("48 6b c1 fd"); // imul rax, rcx, -3
        assertThat(r(0)).isEqualTo(-15);
        assertThat(flag(CF)).isFalse();
        st.rip = CODE;
        mem.load(CODE, hex("48 f7 e9 f4")); // imul rcx (rax = -15 * 5)
        cpu.run(10);
        assertThat(r(0)).isEqualTo(-75);
        assertThat(r(2)).isEqualTo(-1);
        assertThat(flag(OF)).isFalse();
    }

    @Test
    void mulByteWritesAxAndFlagsHighPart() {
        st.gpr[0] = 0x80;
        st.gpr[1] = 4;
        run("f6 e1"); // mul cl
        assertThat(r(0)).isEqualTo(0x200);
        assertThat(flag(CF)).isTrue();
        assertThat(flag(OF)).isTrue();
    }

    @Test
    void cmpxchgSuccessStoresAndFailureLoadsAccumulator() {
        st.gpr[3] = DATA;
        mem.write32(DATA, 7);
        st.gpr[0] = 7;
        st.gpr[1] = 9;
        run("0f b1 0b"); // cmpxchg [rbx], ecx
        assertThat(mem.read32(DATA)).isEqualTo(9);
        assertThat(flag(ZF)).isTrue();
        st.rip = CODE;
        cpu.run(10);
        assertThat(flag(ZF)).isFalse();
        assertThat(r(0)).isEqualTo(9);
    }

    @Test
    void cmpxchg16bRequiresAlignment() {
        st.gpr[3] = DATA + 8;
        CpuExit e = run("48 0f c7 0b"); // cmpxchg16b [rbx]
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.GP);
    }

    @Test
    void cmpxchg16bSwapsWhenEqual() {
        st.gpr[3] = DATA;
        mem.write64(DATA, 1);
        mem.write64(DATA + 8, 2);
        st.gpr[0] = 1;
        st.gpr[2] = 2;
        st.gpr[3] = DATA;
        st.gpr[1] = 4;
        run("48 0f c7 0b"); // cmpxchg16b [rbx]  (rcx:rbx = 4:DATA)
        assertThat(q(DATA)).isEqualTo(DATA);
        assertThat(q(DATA + 8)).isEqualTo(4);
        assertThat(flag(ZF)).isTrue();
    }

    @Test
    void xaddExchangesAndAdds() {
        st.gpr[3] = DATA;
        mem.write64(DATA, 10);
        st.gpr[1] = 5;
        run("48 0f c1 0b"); // xadd [rbx], rcx
        assertThat(q(DATA)).isEqualTo(15);
        assertThat(r(1)).isEqualTo(10);
    }

    @Test
    void cmovFalseStillZeroExtends32BitDestination() {
        st.gpr[0] = 0xffffffff_00000001L;
        st.gpr[1] = 2;
        st.rflags &= ~ZF;
        run("0f 44 c1"); // cmove eax, ecx
        assertThat(r(0)).isEqualTo(1);
    }

    @Test
    void signAndZeroExtensions() {
        st.gpr[3] = DATA;
        mem.write16(DATA, 0x8001);
        st.gpr[1] = 0x80000000L;
        run("0f b6 c7 " // movzx eax, bh  (bh = 0x80 from rbx = 0x18000)
                + "48 0f bf 13 " // movsx rdx, word [rbx]
                + "48 63 f1"); // movsxd rsi, ecx
        assertThat(r(0)).isEqualTo(0x80);
        assertThat(r(2)).isEqualTo(0xffffffffffff8001L);
        assertThat(r(6)).isEqualTo(0xffffffff80000000L);
    }

    @Test
    void cqoAndCdqeSignExtendRax() {
        st.gpr[0] = 0x80000000L;
        run("48 98 48 99"); // cdqe; cqo
        assertThat(r(0)).isEqualTo(0xffffffff80000000L);
        assertThat(r(2)).isEqualTo(-1);
    }

    @Test
    void lahfSahfRoundTripArithmeticFlags() {
        st.rflags |= CF | ZF;
        run("9f " // lahf
                + "f8 " // clc
                + "9e"); // sahf
        assertThat(flag(CF)).isTrue();
        assertThat(flag(ZF)).isTrue();
        assertThat((r(0) >> 8) & 0xff).isEqualTo(0x43);
    }

    @Test
    void cmpxchgFailureLeavesARegisterDestinationUntouched() {
        st.gpr[0] = 0xffffffff_00000001L;
        st.gpr[1] = 0xffffffff_00000002L;
        run("0f b1 c9"); // cmpxchg ecx, ecx  (eax != ecx)
        assertThat(r(0)).isEqualTo(2);
        assertThat(r(1)).isEqualTo(0xffffffff_00000002L);
    }

    @Test
    void sixteenBitShldAboveSixteenShiftsThroughTheSourceTwice() {
        st.gpr[0] = 0x1234;
        st.gpr[1] = 0x5614; // cl = 0x14 = 20
        run("66 0f a5 c8 " // shld ax, cx, cl
                + "66 0f ad ca"); // shrd dx, cx, cl
        assertThat(r(0)).isEqualTo(0x6145);
    }

    @Test
    void thirtyTwoBitShiftByZeroStillZeroExtends() {
        st.gpr[0] = 0xffffffff_12345678L;
        st.gpr[1] = 0;
        run("d3 e0"); // shl eax, cl
        assertThat(r(0)).isEqualTo(0x12345678L);
    }
}
