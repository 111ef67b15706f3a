package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

class DecoderTest extends CpuTestSupport {

    @Test
    void byteRegistersWithoutRexAreHighBytesAndWithRexAreLowBytesOfSpBpSiDi() {
        st.gpr[4] = STACK;
        CpuExit e = run(
                "b4 01 " // mov ah, 1
                + "40 b5 02 " // mov bpl, 2
                + "b7 03 " // mov bh, 3
                + "40 b6 04"); // mov sil, 4
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(r(0)).isEqualTo(0x100);
        assertThat(r(5)).isEqualTo(2);
        assertThat(r(3)).isEqualTo(0x300);
        assertThat(r(6)).isEqualTo(4);
    }

    @Test
    void ripRelativeOperandIsRelativeToTheNextInstruction() {
        mem.write64(CODE + 7 + 0x10, 40);
        st.gpr[0] = 2;
        run("48 03 05 10 00 00 00"); // add rax, [rip+0x10]
        assertThat(r(0)).isEqualTo(42);
    }

    @Test
    void sibWithoutBaseUsesDisp32AndScaledIndex() {
        mem.write32(DATA + 12, 0xdeadbeef);
        st.gpr[3] = 3;
        st.gpr[0] = -1;
        run("8b 04 9d 00 80 01 00"); // mov eax, [rbx*4+0x18000]
        assertThat(r(0)).isEqualTo(0xdeadbeefL); // 32-bit write zero-extends
    }

    @Test
    void addressSizePrefixTruncatesTheEffectiveAddressTo32Bits() {
        mem.write32(DATA, 77);
        st.gpr[3] = 0xffffffff_00000000L + DATA;
        st.gpr[1] = 0;
        run("67 8b 04 0b"); // mov eax, [ebx+ecx]
        assertThat(r(0)).isEqualTo(77);
    }

    @Test
    void rexWWinsOverOperandSizePrefix() {
        st.gpr[0] = 0x1_0000_0000L;
        run("66 48 83 c0 05"); // add rax, 5 (66 ignored under REX.W)
        assertThat(r(0)).isEqualTo(0x1_0000_0005L);
    }

    @Test
    void sixteenBitWritePreservesUpperBits() {
        st.gpr[0] = 0x1234_5678_9abc_fffeL;
        run("66 83 c0 05"); // add ax, 5
        assertThat(r(0)).isEqualTo(0x1234_5678_9abc_0003L);
        assertThat(flag(CpuState.CF)).isTrue();
    }

    @Test
    void movImm64OnlyWithRexW() {
        run("48 b8 88 77 66 55 44 33 22 11 " // movabs rax, 0x1122334455667788
                + "b9 ff ff ff ff"); // mov ecx, 0xffffffff
        assertThat(r(0)).isEqualTo(0x1122334455667788L);
        assertThat(r(1)).isEqualTo(0xffffffffL);
    }

    @Test
    void moffsFormsUseA64BitAbsoluteAddress() {
        mem.write8(DATA + 4, 0x5a);
        run("a0 04 80 01 00 00 00 00 00 " // movabs al, [0x18004]
                + "48 a3 10 80 01 00 00 00 00 00"); // movabs [0x18010], rax
        assertThat(r(0) & 0xff).isEqualTo(0x5a);
        assertThat(q(DATA + 0x10)).isEqualTo(r(0));
    }

    @Test
    void fsOverrideAddsTheFsBase() {
        st.fsBase = DATA;
        mem.write64(DATA + 0x28, 0x1234);
        run("64 48 8b 04 25 28 00 00 00"); // mov rax, fs:[0x28]
        assertThat(r(0)).isEqualTo(0x1234);
    }

    @Test
    void unimplementedOpcodeIsUdNamingTheBytesAndRip() {
        CpuExit e = run("0f 0b"); // ud2
        assertThat(e).isInstanceOf(CpuExit.Fault.class);
        CpuExit.Fault f = (CpuExit.Fault) e;
        assertThat(f.vector()).isEqualTo(CpuExit.Fault.UD);
        assertThat(f.detail()).contains("0f 0b").contains("0x10000");
        assertThat(st.rip).isEqualTo(CODE);
    }

    @Test
    void udAfterGoodInstructionsFaultsOnlyWhenReached() {
        CpuExit e = run("b8 01 00 00 00 0f 0b"); // mov eax, 1; ud2
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.UD);
        assertThat(r(0)).isEqualTo(1);
        assertThat(st.rip).isEqualTo(CODE + 5);
    }

    @Test
    void instructionLongerThanFifteenBytesIsGp() {
        // fourteen 66 prefixes, then add ax, 5 (66 83 c0 05): 18 bytes in all
        CpuExit e = run("66 66 66 66 66 66 66 66 66 66 66 66 66 66 83 c0 05");
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.GP);
    }

    @Test
    void lockOnRegisterDestinationIsUd() {
        CpuExit e = run("f0 01 c8"); // lock add eax, ecx
        assertThat(((CpuExit.Fault) e).vector()).isEqualTo(CpuExit.Fault.UD);
    }

    @Test
    void lockOnMemoryAddIsAccepted() {
        st.gpr[3] = DATA;
        mem.write32(DATA, 5);
        st.gpr[1] = 6;
        run("f0 01 0b"); // lock add [rbx], ecx
        assertThat(mem.read32(DATA)).isEqualTo(11);
    }

    @Test
    void multiByteNopsAndEndbr64AreNops() {
        CpuExit e = run("66 2e 0f 1f 84 00 00 00 00 00 " // nop word cs:[rax+rax+0]
                + "f3 0f 1e fa " // endbr64
                + "f3 90 " // pause
                + "0f 1f 40 00"); // nop dword [rax+0]
        assertThat(e).isInstanceOf(CpuExit.Halt.class);
        assertThat(st.rip).isEqualTo(CODE + 21);
    }

    @Test
    void fetchFromUnmappedAddressIsPageFaultWithTheAddress() {
        st.rip = 0x5000;
        CpuExit e = cpu.run(10);
        CpuExit.Fault f = (CpuExit.Fault) e;
        assertThat(f.vector()).isEqualTo(CpuExit.Fault.PF);
        assertThat(f.address()).isEqualTo(0x5000);
    }
}
