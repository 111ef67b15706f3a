package dev.corral.engine.cpu.difftest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.cpu.state.CpuState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the assembler decides is defined: the flags at each stop, the CMP it puts before flag readers. */
class AssemblerTest {

    private static final Insn MUL_RCX = Insn.of("mul rcx", Forms.C | Forms.O, Forms.S | Forms.Z | Forms.A | Forms.P, 0,
            new byte[] {0x48, (byte) 0xf7, (byte) 0xe1});
    private static final Insn ADC_RAX_RDX = Insn.of("adc rax, rdx", Forms.ALL, 0, Forms.C,
            new byte[] {0x48, 0x11, (byte) 0xd0});
    private static final Insn SETZ_AL = Insn.of("setz al", 0, 0, Forms.Z, new byte[] {0x0f, (byte) 0x94, (byte) 0xc0});

    private static DiffCase assemble(List<Insn> insns) {
        return Assembler.assemble("test", insns, new CpuState(), new byte[GuestLayout.PAGE], 0, false);
    }

    @Test
    void flagsLeftUndefinedByMulAreNotComparedAtTheEnd() {
        DiffCase c = assemble(List.of(MUL_RCX));
        long end = GuestLayout.CODE + c.code().length;
        assertThat(c.comparedFlags(end)).isEqualTo(Forms.C | Forms.O | CpuState.DF);
        assertThat(c.comparedFlags(GuestLayout.CODE)).isEqualTo(GuestLayout.STATUS_FLAGS);
        assertThat(c.code()).endsWith(GuestLayout.INT3);
    }

    @Test
    void readerOfADefinedFlagGetsNoCompareButReaderOfAnUndefinedOneDoes() {
        assertThat(assemble(List.of(MUL_RCX, ADC_RAX_RDX)).text()).containsExactly("mul rcx", "adc rax, rdx", "int3");
        assertThat(assemble(List.of(MUL_RCX, SETZ_AL)).text()).containsExactly("mul rcx", "cmp rax, rcx", "setz al", "int3");
    }

    @Test
    void aBranchCarriesItsUndefinedFlagsToItsTarget() {
        Insn and = Insn.of("and eax, ecx", Forms.ALL & ~Forms.A, Forms.A, 0, new byte[] {0x21, (byte) 0xc8});
        Insn jz = new Insn("jz +1", 0, 0, Forms.Z, 0, 1, rel -> new byte[] {0x74, (byte) rel});
        Insn add = Insn.of("add eax, ecx", Forms.ALL, 0, 0, new byte[] {0x01, (byte) 0xc8});
        DiffCase c = assemble(List.of(and, jz, add));
        // jz skips the add when taken, so AF (undefined after AND) stays undefined at the end.
        assertThat(c.comparedFlags(GuestLayout.CODE + c.code().length) & Forms.A).isZero();
        assertThat(c.code()).containsSequence(0x74, 0x02);
    }
}
