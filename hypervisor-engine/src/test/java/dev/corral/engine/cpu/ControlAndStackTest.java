package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

class ControlAndStackTest extends CpuTestSupport {

    @Test
    void loopCountsDownWithJccBackwards() {
        // mov ecx, 10; xor eax, eax; L: add eax, ecx; dec ecx; jnz L
        run("b9 0a 00 00 00 31 c0 01 c8 ff c9 75 fa");
        assertThat(r(0)).isEqualTo(55);
        assertThat(cpu.retired()).isEqualTo(2 + 3 * 10 + 1);
    }

    @Test
    void callAndRetImmPopTheArguments() {
        // push 7; call f; hlt; f: mov rax, [rsp+8]; ret 8
        CpuExit e = run("6a 07 e8 01 00 00 00 f4 48 8b 44 24 08 c2 08 00");
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(0)).isEqualTo(7);
        assertThat(r(4)).isEqualTo(STACK);
    }

    @Test
    void indirectCallThroughRegister() {
        st.gpr[0] = CODE + 3;
        run("ff d0 f4 bb 05 00 00 00 c3"); // call rax; hlt; mov ebx, 5; ret
        assertThat(r(3)).isEqualTo(5);
    }

    @Test
    void popToMemoryAddressedByRspUsesTheIncrementedRsp() {
        st.gpr[0] = 0x1234;
        run("50 6a 09 8f 04 24"); // push rax; push 9; pop qword [rsp]
        assertThat(r(4)).isEqualTo(STACK - 8);
        assertThat(q(STACK - 8)).isEqualTo(9);
    }

    @Test
    void enterAndLeaveBuildAndTearDownAFrame() {
        st.gpr[5] = 0xbbbb;
        run("c8 10 00 00 48 89 e0 c9"); // enter 16, 0; mov rax, rsp; leave
        assertThat(r(0)).isEqualTo(STACK - 8 - 16);
        assertThat(r(5)).isEqualTo(0xbbbb);
        assertThat(r(4)).isEqualTo(STACK);
    }

    @Test
    void pushfPopfChangeOnlyUserVisibleFlags() {
        // pushfq; or qword [rsp], 0x3ff; popfq (sets CF PF AF ZF SF, TF and IF bits are not taken)
        run("9c 48 81 0c 24 ff 0f 00 00 9d");
        assertThat(st.rflags & 0xfff).isEqualTo(0x202 | 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800);
    }

    @Test
    void setccWritesOneByte() {
        st.gpr[0] = 0xff00;
        st.rflags |= CpuState.CF;
        run("0f 92 c0"); // setb al
        assertThat(r(0)).isEqualTo(0xff01);
    }

    @Test
    void syscallExitsWithRcxAndR11SetAndRipAfter() {
        CpuExit e = run("0f 05");
        assertThat(e).isInstanceOf(CpuExit.Syscall.class);
        assertThat(r(1)).isEqualTo(CODE + 2);
        assertThat(r(11)).isEqualTo(st.rflags);
        assertThat(st.rip).isEqualTo(CODE + 2);
    }

    @Test
    void int3IsBreakpointWithRipAfterIt() {
        CpuExit e = run("cc");
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.BP);
        assertThat(st.rip).isEqualTo(CODE + 1);
    }

    @Test
    void budgetStopsAtAnInstructionBoundary() {
        mem.load(CODE, hex("eb fe")); // jmp .
        CpuExit e = cpu.run(1000);
        assertThat(e).isInstanceOf(CpuExit.BudgetSpent.class);
        assertThat(cpu.retired()).isEqualTo(1000);
        assertThat(st.rip).isEqualTo(CODE);
    }

    @Test
    void cpuidReportsTheVendorAndOnlyImplementedFeatures() {
        st.gpr[0] = 0;
        run("0f a2");
        String vendor = new String(new byte[] {
                (byte) r(3), (byte) (r(3) >> 8), (byte) (r(3) >> 16), (byte) (r(3) >> 24),
                (byte) r(2), (byte) (r(2) >> 8), (byte) (r(2) >> 16), (byte) (r(2) >> 24),
                (byte) r(1), (byte) (r(1) >> 8), (byte) (r(1) >> 16), (byte) (r(1) >> 24)});
        assertThat(vendor).isEqualTo("GenuineIntel");
        st.rip = CODE;
        st.gpr[0] = 1;
        cpu.run(10);
        assertThat(r(1) & (1 << 28)).as("no AVX").isZero();
        assertThat(r(1) & (1 << 27)).as("no OSXSAVE").isZero();
        assertThat(r(1) & 1).as("no SSE3").isZero();
    }

    @Test
    void rdtscIsMonotonic() {
        run("0f 31 48 89 c3 48 89 d1 0f 31"); // rdtsc; mov rbx, rax; mov rcx, rdx; rdtsc
        long first = (r(1) << 32) | r(3);
        long second = (r(2) << 32) | r(0);
        assertThat(second).isGreaterThan(first);
    }

    @Test
    void faultingStoreLeavesRegistersFlagsAndRipUnchanged() {
        mem.readOnlyBelow = 0x8000; // the code half is read-only
        st.gpr[3] = CODE + 0x100;
        st.gpr[1] = 1;
        CpuState before = st.copy();
        CpuExit e = run("48 01 0b"); // add [rbx], rcx
        CpuExit.Fault f = (CpuExit.Fault) e;
        assertThat(f.vector()).isEqualTo(CpuExit.Fault.PF);
        assertThat(f.address()).isEqualTo(CODE + 0x100);
        assertThat(f.errorCode() & 2).as("write").isEqualTo(2);
        assertThat(st.rip).isEqualTo(before.rip);
        assertThat(st.rflags).isEqualTo(before.rflags);
        assertThat(st.gpr).containsExactly(before.gpr);
    }

    @Test
    void faultingPushLeavesRspUnchanged() {
        st.gpr[4] = CODE + 0x100;
        mem.readOnlyBelow = 0x8000;
        CpuExit e = run("e8 00 00 00 00"); // call next
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.PF);
        assertThat(r(4)).isEqualTo(CODE + 0x100);
        assertThat(st.rip).isEqualTo(CODE);
    }

    @Test
    void nonCanonicalStackAddressIsSsAndOtherMemoryIsGp() {
        st.gpr[5] = 0x9f60a3f3f69419bfL;
        CpuExit e = run("c9"); // leave
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.SS);
        assertThat(r(4)).isEqualTo(STACK);
        st.rip = CODE;
        st.gpr[3] = 0x8000000000000000L;
        mem.load(CODE, hex("48 8b 03 f4")); // mov rax, [rbx]
        e = cpu.run(10);
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.GP);
    }

    @Test
    void jumpToNonCanonicalTargetFaultsAtTheJump() {
        st.gpr[0] = 0x0000800000000000L;
        CpuExit e = run("ff e0"); // jmp rax
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.GP);
        assertThat(st.rip).isEqualTo(CODE);
    }

    @Test
    void leaOfANonCanonicalAddressIsJustArithmetic() {
        st.gpr[3] = 0x7fffffffffffffffL;
        CpuExit e = run("48 8d 43 01"); // lea rax, [rbx+1]
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(0)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void enterWithNestingReadsThroughANonCanonicalFramePointerIsSs() {
        st.gpr[5] = 0x633d6d081a01d3c8L;
        CpuExit e = run("c8 00 00 03"); // enter 0, 3
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.SS);
        assertThat(r(4)).isEqualTo(STACK);
    }
}
