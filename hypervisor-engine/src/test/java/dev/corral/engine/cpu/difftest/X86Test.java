package dev.corral.engine.cpu.difftest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The generators' encoder against encodings checked with GNU as/objdump. */
class X86Test {

    private static String enc(int[] pre, boolean w, boolean bytes, int[] op, int reg, boolean high, Operand rm, byte[] imm) {
        return X86.hex(X86.encode(pre, w, bytes, op, reg, high, rm, imm, GuestLayout.CODE));
    }

    @Test
    void r12BaseNeedsSibAndR13BaseNeedsDisplacement() {
        // add r8d, [r12+0x10]
        assertThat(enc(Forms.NONE, false, false, new int[] {0x03}, 8, false, new Operand.Mem(12, -1, 1, 0x10, false),
                new byte[0])).isEqualTo("4503442410");
        // mov rax, [r13]
        assertThat(enc(Forms.NONE, true, false, new int[] {0x8b}, 0, false, new Operand.Mem(13, -1, 1, 0, false),
                new byte[0])).isEqualTo("498b4500");
    }

    @Test
    void indexWithoutBaseAndRipRelativeUseDisp32() {
        // mov ecx, [r9*4+0x70000000]
        assertThat(enc(Forms.NONE, false, false, new int[] {0x8b}, 1, false, new Operand.Mem(-1, 9, 4, 0x7000_0000L, true),
                new byte[0])).isEqualTo("428b0c8d00000070");
        // mov eax, [rip -> 0x70000000] at 0x60000000: disp = 0x70000000 - 0x60000006
        assertThat(enc(Forms.NONE, false, false, new int[] {0x8b}, 0, false,
                new Operand.Mem(Operand.Mem.RIP, -1, 1, 0x7000_0000L, true), new byte[0])).isEqualTo("8b05faffff0f");
    }

    @Test
    void byteRegistersSplNeedsRexAndAhForbidsIt() {
        // mov spl, al: 40 88 c4
        assertThat(enc(Forms.NONE, false, true, new int[] {0x88}, 0, false, Operand.Reg.of(4), new byte[0])).isEqualTo("4088c4");
        // mov ah, al: 88 c4
        assertThat(enc(Forms.NONE, false, true, new int[] {0x88}, 0, false, new Operand.Reg(0, true), new byte[0]))
                .isEqualTo("88c4");
        assertThatThrownBy(() -> enc(Forms.NONE, false, true, new int[] {0x88}, 8, false, new Operand.Reg(0, true),
                new byte[0])).isInstanceOf(X86.Unencodable.class);
    }

    @Test
    void opcodeRegisterFormsCarryRexB() {
        // mov r9, imm64
        assertThat(X86.hex(X86.encodeOpReg(Forms.NONE, true, false, new int[] {0xb8}, Operand.Reg.of(9), X86.le(1, 8))))
                .isEqualTo("49b90100000000000000");
        // bswap r10d: 41 0f ca
        assertThat(X86.hex(X86.encodeOpReg(Forms.NONE, false, false, new int[] {0x0f, 0xc8}, Operand.Reg.of(10),
                new byte[0]))).isEqualTo("410fca");
    }
}
