package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/**
 * The mode transitions' edges: the #GP(0) cases of MOV CR0 and WRMSR EFER, leaving long mode from compatibility
 * mode, descriptor-table loads of each operand size, and the far branch forms not exercised elsewhere.
 */
class ModeTransitionTest {

    @Test
    void crZeroAndEferRefuseWhatTheManualRefuses() {
        try (var g = ProtectedModeTest.start("""
                    gate32 13, on_gp
                    xor %ebx, %ebx                  # the count of #GPs
                    mov $0x80000000, %eax
                    mov %eax, %cr0                  # PG without PE: #GP
                    mov $0xc0000080, %ecx
                    rdmsr
                    bts $8, %eax
                    wrmsr                           # LME while paging is off: fine
                    mov $0x80000011, %eax
                    mov %eax, %cr0                  # long mode paging without CR4.PAE: #GP
                    mov $0x60000011, %eax
                    mov %eax, %cr0                  # CD and NW together: fine
                    mov $0x40000011, %eax
                    mov %eax, %cr0                  # CD without NW: fine
                    mov $0x20000011, %eax
                    mov %eax, %cr0                  # NW without CD: #GP
                    mov %cr0, %esi
                    mov $0xc0000080, %ecx
                    rdmsr
                    mov %eax, %edi
                    hlt
                on_gp:
                    inc %ebx
                    addl $4, %esp                   # the error code
                    addl $3, (%esp)                 # past the three-byte MOV CR0
                    iret
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RBX)).isEqualTo(3);
            assertThat(g.r(CpuState.RSI)).isEqualTo(0x40000011L);
            assertThat(g.r(CpuState.RDI) & 0xffffffffL).as("LME set, LMA not").isEqualTo(0x100);
        }
    }

    @Test
    void sixtyFourBitModeCannotClearPagingOrLmeButCompatibilityModeLeavesLongMode() {
        try (var g = KernelGuest.boot(CompatibilityModeTest.GDT + """
                gate 13, on_gp
                idt_load
                xor %r12, %r12
                mov %cr0, %rax
                btr $31, %rax
                mov %rax, %cr0                  # #GP: 64-bit mode cannot leave paging
                mov $0xc0000080, %ecx
                rdmsr
                btr $8, %eax
                wrmsr                           # #GP: LME cannot change while paging is on
                lea compat(%rip), %rax
                mov %eax, farptr(%rip)
                movw $0x08, farptr+4(%rip)
                ljmp *farptr(%rip)
            on_gp:
                inc %r12
                add $8, %rsp                    # the error code
                mov (%rsp), %rax
                cmpw $0x300f, (%rax)            # WRMSR is two bytes long, MOV CR0 three
                je 1f
                incq (%rsp)
            1:  addq $2, (%rsp)
                iretq
                .code32
            compat:
                mov $0xc0000080, %ecx
                rdmsr
                mov %eax, %esi
                mov %cr0, %eax
                btr $31, %eax
                mov %eax, %cr0                  # paging off: long mode off, 32-bit protected mode
                mov $0xc0000080, %ecx
                rdmsr
                mov %eax, %ebp
                btr $8, %eax
                wrmsr                           # now LME may go
                rdmsr
                mov %eax, %edi
                hlt
                .balign 8
            farptr:
                .long 0
                .word 0
            """ + CompatibilityModeTest.GDT_DATA)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(12)).isEqualTo(2);
            assertThat(g.r(CpuState.RSI) & 0xffffffffL).as("EFER in compatibility mode before: LME and LMA")
                    .isEqualTo(CpuState.EFER_LME | CpuState.EFER_LMA);
            assertThat(g.r(CpuState.RSI) >>> 32).isZero();
            assertThat(g.r(CpuState.RBP) & 0xffffffffL).as("paging off: LMA went with it").isEqualTo(CpuState.EFER_LME);
            assertThat(g.r(CpuState.RDI) & 0xffffffffL).as("EFER after paging went off and LME was cleared").isZero();
            assertThat(g.st.codeSize).isEqualTo(4);
            assertThat(g.st.cr0 & CpuState.CR0_PG).isZero();
        }
    }

    @Test
    void descriptorTableLoadsTakeA24BitBaseWithA16BitOperandAndFarPointersOfEverySize() {
        try (var g = LegacyGuest.start("""
                    mov %cs, %ax
                    mov %ax, %ds
                    lgdtw table                     # 16-bit operand: base 0x345678 (the high byte dropped)
                    sgdtl out16
                    lgdtl table                     # 32-bit operand: base 0x12345678
                    sgdtl out32
                    lidtw table
                    sidtl out_idt
                    ljmpw *ptr16                    # JMP m16:16
                    hlt
                next16:
                    mov $0x11, %bl
                    ljmpl *ptr32                    # JMP m16:32 (66 FF /5)
                    hlt
                next32:
                    mov $0x22, %bh
                    hlt
                table:
                    .short 0x1234
                    .long 0x12345678
                out16: .short 0
                    .long 0
                out32: .short 0
                    .long 0
                out_idt: .short 0
                    .long 0
                ptr16:
                    .word next16
                    .word BASE >> 4
                ptr32:
                    .long next32
                    .word BASE >> 4
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            long base = LegacyGuest.BASE;
            assertThat(g.mem.readShort(base + g.symbol("out16")) & 0xffff).isEqualTo(0x1234);
            assertThat(g.mem.readInt(base + g.symbol("out16") + 2)).isEqualTo(0x345678);
            assertThat(g.mem.readInt(base + g.symbol("out32") + 2)).isEqualTo(0x12345678);
            assertThat(g.mem.readInt(base + g.symbol("out_idt") + 2)).isEqualTo(0x345678);
            assertThat(g.r(CpuState.RBX) & 0xffff).isEqualTo(0x2211);
        }
    }

    @Test
    void rexWFarJumpTakesAnM16To64Pointer() {
        try (var g = KernelGuest.boot("""
                lea target(%rip), %rax
                mov %rax, farptr(%rip)
                movw $0x10, farptr+8(%rip)
                rex.W ljmp *farptr(%rip)        # m16:64
                hlt
            target:
                mov $0x64, %r12
                hlt
                .balign 8
            farptr:
                .quad 0
                .word 0
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(12)).isEqualTo(0x64);
        }
    }
}
