package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/**
 * An application processor started by INIT-SIPI runs a trampoline with the instruction sequence of Linux 6.1's
 * arch/x86/realmode/rm/trampoline_64.S and verify_cpu.S (written here from their description, not copied): real
 * mode, a far jump to normalise CS, PUSHF/POPF and CPUID probes, RDMSR/WRMSR, LIDTL/LGDTL, MOV CR0 into 16-bit
 * protected mode, a far jump to 32-bit code, PAE, CR3, EFER.LME, paging on (compatibility mode), a far jump to
 * a 64-bit code segment and an indirect jump to a "kernel" in the upper half, which reports on COM1.
 */
class ApTrampolineTest {

    /** The trampoline; the kernel's entry point is at {@code kernel64} through the high alias 0xffffffff80000000. */
    static final String TRAMPOLINE = """
                cli
                wbinvd
                .byte 0xea                      # ljmpw: the SIPI's CS:IP could be any alias of the page
                .word 1f
                .word BASE >> 4
            1:  mov %cs, %ax
                mov %ax, %ds
                mov %ax, %es
                mov %ax, %ss
                movl $stack_end, %esp
                call verify_cpu
                testl %eax, %eax
                jnz no_longmode
                lidtl tr_idt
                lgdtl tr_gdt
                movw $0x18, %dx                 # __KERNEL_DS
                movl $0x00050033, %eax          # PE MP ET NE WP AM: protected mode, no paging yet
                movl %eax, %cr0
                ljmpl $0x08, $(BASE + startup_32)
            no_longmode:
                mov $'N', %al
                mov $0x3f8, %dx
                out %al, %dx
                hlt
                jmp no_longmode

            verify_cpu:
                pushf
                push $0
                popf
                pushfl                          # the AC probe of 32-bit verify_cpu: flip bit 18, read back
                popl %eax
                movl %eax, %ebx
                xorl $0x40000, %eax
                pushl %eax
                popfl
                pushfl
                popl %eax
                xorl %ebx, %eax
                jz .Lno                         # AC did not flip: a 386
                movl $0, %eax
                cpuid
                cmpl $1, %eax
                jb .Lno
                xor %di, %di
                cmpl $0x756e6547, %ebx          # GenuineIntel?
                jnz .Lcheck
                movl $1, %eax
                cpuid
                movl %eax, %ecx
                andl $0x0ff00f00, %eax
                shrl $8, %eax
                cmpl $6, %eax
                jb .Lcheck
            .Lclear_xd:
                movl $0x1a0, %ecx               # IA32_MISC_ENABLE
                rdmsr
                btrl $2, %edx                   # XD_DISABLE
                jnc .Lcheck
                wrmsr
            .Lcheck:
                movl $1, %eax
                cpuid
                andl $0x0700a169, %edx          # FPU PSE MSR PAE CX8 PGE CMOV FXSR SSE SSE2
                xorl $0x0700a169, %edx
                jnz .Lno
                movl $0x80000000, %eax
                cpuid
                cmpl $0x80000001, %eax
                jb .Lno
                movl $0x80000001, %eax
                cpuid
                andl $0x20000000, %edx          # LM
                xorl $0x20000000, %edx
                jnz .Lno
                popf
                xorl %eax, %eax
                ret
            .Lno:
                popf
                movl $1, %eax
                ret

                .code32
            startup_32:
                movl %edx, %ss
                addl $BASE, %esp
                movl %edx, %ds
                movl %edx, %es
                movl %edx, %fs
                movl %edx, %gs
                btl $0, BASE + tr_flags         # the SME check: not set here
                jnc .Ldone
                hlt
            .Ldone:
                movl BASE + tr_cr4, %eax
                movl %eax, %cr4                 # PAE (and what the BSP has)
                movl $(BASE + tr_pgd), %eax
                movl %eax, %cr3
                movl $0xc0000080, %ecx
                rdmsr
                cmp BASE + tr_efer, %eax
                jne .Lwrite_efer
                cmp BASE + tr_efer + 4, %edx
                je .Ldone_efer
            .Lwrite_efer:
                movl BASE + tr_efer, %eax
                movl BASE + tr_efer + 4, %edx
                wrmsr
            .Ldone_efer:
                movl $0x80050033, %eax          # paging on: long mode, compatibility mode for now
                movl %eax, %cr0
                movl %cs, %edi                  # still the 32-bit segment
                ljmpl $0x10, $(BASE + startup_64)

                .code64
            startup_64:
                jmpq *tr_start(%rip)

            kernel64:                           # reached through the upper-half alias
                lea kernel64(%rip), %rbx
                mov %cs, %r13d
                mov $0x3f8, %dx
                mov $'6', %al
                out %al, %dx
                mov $'4', %al
                out %al, %dx
                push $0x2a                      # a 64-bit stack on the trampoline's stack
                pop %r12
                hlt

                .balign 16
            tr_idt:
                .short 0
                .quad 0
                .balign 8
            tr_gdt:
                .short tr_gdt_end - tr_gdt - 1
                .long BASE + tr_gdt
                .short 0
                .quad 0x00cf9b000000ffff        # 0x08 __KERNEL32_CS
                .quad 0x00af9b000000ffff        # 0x10 __KERNEL_CS
                .quad 0x00cf93000000ffff        # 0x18 __KERNEL_DS
            tr_gdt_end:
            tr_flags: .long 0
            tr_cr4: .long 0x000006a0            # PAE PGE OSFXSR OSXMMEXCPT
            tr_efer: .quad 0x00000d01           # SCE LME NXE (LMA is the CPU's)
            tr_start: .quad 0xffffffff80000000 + BASE + kernel64

                .balign 4096
            tr_pgd:                             # PML4: [0] identity, [511] the kernel's -2 GiB
                .quad BASE + pdpt + 0x3
                .fill 510, 8, 0
                .quad BASE + pdpt_high + 0x3
            pdpt:
                .quad BASE + pd + 0x3
                .fill 511, 8, 0
            pdpt_high:
                .fill 510, 8, 0
                .quad BASE + pd + 0x3           # 0xffffffff80000000 -> 0
                .quad 0
            pd:
                .quad 0x83                      # 2 MiB at 0, present, writable
                .fill 511, 8, 0
                .fill 1024, 1, 0
            stack_end:
            """;

    @Test
    void anApFromSipiWalksRealProtectedPaeAndLongModeIntoTheKernel() {
        try (var g = LegacyGuest.start(TRAMPOLINE)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.serial.toString()).isEqualTo("64");
            assertThat(g.st.codeSize).isEqualTo(8);
            assertThat(g.st.cs).isEqualTo(0x10);
            assertThat(g.r(13)).isEqualTo(0x10);
            assertThat(g.r(CpuState.RDI) & 0xffff).as("CS in compatibility mode").isEqualTo(0x08);
            assertThat(g.r(CpuState.RBX)).as("RIP-relative LEA in the upper half")
                    .isBetween(0xffffffff80000000L + LegacyGuest.BASE, 0xffffffff80000000L + LegacyGuest.BASE + 0x1000);
            assertThat(g.st.rip).isBetween(g.r(CpuState.RBX), g.r(CpuState.RBX) + 0x40);
            assertThat(g.r(12)).isEqualTo(0x2a);
            assertThat(g.st.efer).isEqualTo(0xd01 | CpuState.EFER_LMA);
            assertThat(g.st.cr0).isEqualTo(0x80050033L);
            assertThat(g.st.cr4).isEqualTo(0x6a0);
            assertThat(g.st.ss).isEqualTo(0x18);
            assertThat(g.st.gdtBase).isGreaterThan(LegacyGuest.BASE);
            assertThat(g.st.idtLimit).isZero();
        }
    }

    @Test
    void initAfterLongModeAndAnotherSipiRunTheTrampolineAgain() {
        try (var g = LegacyGuest.start(TRAMPOLINE)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            long retired = g.cpu.retired();
            g.cpu.init(); // as Linux does to bring an offlined CPU back
            assertThat(g.st.efer).isZero();
            assertThat(g.st.cr0).isEqualTo(0x10); // CD and NW as the guest left them: clear
            assertThat(g.st.codeSize).isEqualTo(2);
            assertThat(g.cpu.startup(LegacyGuest.VECTOR)).isTrue();
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.serial.toString()).isEqualTo("6464");
            assertThat(g.cpu.retired()).isEqualTo(2 * retired);
            assertThat(g.st.codeSize).isEqualTo(8);
        }
    }
}
