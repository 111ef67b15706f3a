package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/**
 * Compatibility mode: 32-bit code under long mode, entered from a 64-bit kernel by a far CALL and by IRETQ, with
 * interrupts delivered to 64-bit handlers and returns to it, and the encodings 64-bit mode refuses.
 */
class CompatibilityModeTest {

    /**
     * A GDT at 0x500 with 0x08 32-bit code, 0x10 64-bit code, 0x18 data, 0x20 data based at 0x10000; 64-bit gates
     * name 0x10 as before.
     */
    static final String GDT = """
                lea gdt(%rip), %rsi
                mov $0x500, %rdi
                mov $5, %ecx
                rep movsq
                sub $16, %rsp
                movw $0x27, (%rsp)
                movq $0x500, 2(%rsp)
                lgdt (%rsp)
                add $16, %rsp
            """;

    static final String GDT_DATA = """
                .balign 8
            gdt:
                .quad 0, 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff, 0x00cf93010000ffff
            """;

    @Test
    void farCallIntoThirtyTwoBitCodeTakesInterruptsInSixtyFourBitHandlersAndReturns() {
        try (var g = KernelGuest.boot(GDT + """
                gate 0x80, int80
                idt_load
                lea compat(%rip), %rax
                mov %eax, farptr(%rip)
                movw $0x08, farptr+4(%rip)
                mov %rsp, %r15
                lcall *farptr(%rip)             # m16:32: into compatibility mode
                mov %cs, %r14
                hlt
                .code32
            compat:
                mov %cs, %ebx
                xor %eax, %eax
                .byte 0x40                      # INC EAX here, a REX prefix in 64-bit mode
                pushl $0x1234
                popl %ecx
                mov %esp, %edx
                int $0x80                       # to a 64-bit handler, IRETQ back
                lret                            # 32-bit: EIP and CS
                .code64
            int80:
                mov 8(%rsp), %r12               # the interrupted CS
                mov %cs, %r13
                mov (%rsp), %r11                # the interrupted EIP
                iretq
                .balign 8
            farptr:
                .long 0
                .word 0
            """ + GDT_DATA)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RBX) & 0xffff).isEqualTo(0x08);
            assertThat(g.r(CpuState.RAX)).isEqualTo(1);
            assertThat(g.r(CpuState.RCX)).isEqualTo(0x1234);
            assertThat(g.r(CpuState.RDX)).as("ESP in compatibility mode: below the far CALL's frame").isEqualTo(g.r(15) - 8);
            assertThat(g.r(12)).isEqualTo(0x08);
            assertThat(g.r(13)).isEqualTo(0x10);
            assertThat(g.r(11)).isBetween(KernelGuest.ENTRY, KernelGuest.ENTRY + 0x1000);
            assertThat(g.r(14)).isEqualTo(0x10);
            assertThat(g.r(CpuState.RSP)).isEqualTo(g.r(15));
            assertThat(g.st.codeSize).isEqualTo(8);
        }
    }

    @Test
    void iretqEntersCompatibilityModeAndAFarJumpLeavesIt() {
        try (var g = KernelGuest.boot(GDT + """
                mov %rsp, %r15
                lea compat(%rip), %rax
                pushq $0x20                     # SS: based at 0x10000, which compatibility mode honours
                pushq $0x8000                   # RSP
                pushq $0x2                      # RFLAGS
                pushq $0x08                     # CS: 32-bit code
                pushq %rax                      # RIP
                iretq
                .code32
            compat:
                mov %cs, %ebx
                pushl $0x77                     # at SS:0x7ffc, linear 0x17ffc
                lea back, %eax                  # flat: the linear address of "back"
                mov %eax, farptr
                movw $0x10, farptr+4
                ljmp *farptr
                .code64
            back:
                mov %cs, %r14
                hlt
                .balign 8
            farptr:
                .long 0
                .word 0
            """ + GDT_DATA)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RBX) & 0xffff).isEqualTo(0x08);
            assertThat(g.mem.readInt(0x17ffc)).as("a push through SS's base").isEqualTo(0x77);
            assertThat(g.r(14)).isEqualTo(0x10);
            assertThat(g.st.codeSize).isEqualTo(8);
        }
    }

    @Test
    void sysretlReturnsToThirtyTwoBitUserCode() {
        try (var g = KernelGuest.boot("""
                lea gdt(%rip), %rsi
                mov $0x500, %rdi
                mov $6, %ecx
                rep movsq
                sub $16, %rsp
                movw $0x2f, (%rsp)
                movq $0x500, 2(%rsp)
                lgdt (%rsp)
                add $16, %rsp
                mov %cr3, %rax                  # let user code run in the first 2 MiB: U on PML4[0], PDPT[0], PD[0]
                orq $4, (%rax)
                mov (%rax), %rbx
                and $-4096, %rbx
                orq $4, (%rbx)
                mov (%rbx), %rbx
                and $-4096, %rbx
                orq $4, (%rbx)
                mov %rax, %cr3
                mov $0xc0000080, %ecx
                rdmsr
                bts $0, %eax                    # SCE
                wrmsr
                mov $0xc0000081, %ecx           # STAR: SYSRET's base 0x18, SYSCALL's 0x08
                xor %eax, %eax
                mov $0x00180008, %edx
                wrmsr
                lea user32(%rip), %rcx
                mov $0x3002, %r11               # IOPL 3: the user code may OUT
                sysretl
                .code32
            user32:
                mov %cs, %eax
                out %al, $0xe9
                mov %ss, %eax
                out %al, $0xe9
                push $0x1234                    # a 32-bit stack
                pop %eax
                out %eax, $0xe9
            1:  jmp 1b
                .code64
                .balign 8
            gdt:
                .quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff
                .quad 0x00cffb000000ffff        # 0x18: 32-bit user code
                .quad 0x00cff3000000ffff        # 0x20: user data
                .quad 0x00affb000000ffff        # 0x28: 64-bit user code (SYSRETQ's)
            """)) {
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0xe9, 1, 0x1b));
            assertThat(g.st.cpl).isEqualTo(3);
            assertThat(g.st.codeSize).isEqualTo(4);
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0xe9, 1, 0x23));
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0xe9, 4, 0x1234));
        }
    }

    @Test
    void encodingsThatOnlyLegacyModesHaveAreInvalidInSixtyFourBitMode() {
        try (var g = KernelGuest.boot("""
                gate 6, ud
                idt_load
                xor %r12, %r12
                .byte 0x0e                      # PUSH CS
                .byte 0x06                      # PUSH ES
                .byte 0x60                      # PUSHA
                .byte 0xce                      # INTO
                .byte 0xea                      # JMP ptr16:32
                hlt
            ud:
                inc %r12
                incq (%rsp)                     # each is one byte long (their operands are never read)
                iretq
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(12)).isEqualTo(5);
        }
    }
}
