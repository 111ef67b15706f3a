package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.sys.PagedMemory;

/** A system CPU running small kernels from the Linux 64-bit boot state: port I/O, interrupts, IDT delivery. */
class SystemCpuTest {

    @Test
    void outAndInLeaveAsPortIoExitsAndCompletePortInFillsTheAccumulator() {
        try (var g = KernelGuest.boot("""
                mov $0x41, %al
                out %al, $0xe9
                mov $0x3f8, %dx
                mov $0x1234, %ax
                out %ax, %dx
                movabs $0x1111111111111111, %rax
                in $0x60, %al
                mov %rax, %rbx
                mov $0x1f0, %dx
                in (%dx), %eax
                hlt
                """)) {
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0xe9, 1, 0x41));
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0x3f8, 2, 0x1234));
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(true, 0x60, 1, 0));
            g.cpu.completePortIn(0x5a);
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(true, 0x1f0, 4, 0));
            assertThat(g.r(CpuState.RBX)).isEqualTo(0x111111111111115aL); // IN AL keeps the rest of RAX
            g.cpu.completePortIn(0xdeadbeef);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RAX)).isEqualTo(0xdeadbeefL); // IN EAX zero-extends
        }
    }

    @Test
    void inWithoutCompletionReadsAllOnes() {
        try (var g = KernelGuest.boot("""
                xor %eax, %eax
                in $0x61, %ax
                hlt
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.PortIo.class);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RAX)).isEqualTo(0xffff);
        }
    }

    @Test
    void intNGoesThroughTheIdtAndIretqComesBack() {
        try (var g = KernelGuest.boot("""
                gate 0x80, handler
                idt_load
                mov %rsp, %r13
                pushfq
                orq $0x200, (%rsp)      # IF on: the interrupt gate must clear it in the handler
                popfq
                int $0x80
                pushfq
                pop %r12                # RFLAGS after IRETQ: IF back on
                hlt
            handler:
                inc %r15
                pushfq
                pop %r11                # RFLAGS inside: IF cleared
                mov 8(%rsp), %r10       # the saved CS
                mov (%rsp), %r9         # the saved RIP
                iretq
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(15)).isEqualTo(1);
            assertThat(g.r(11) & CpuState.IF).isZero();
            assertThat(g.r(12) & CpuState.IF).isNotZero();
            assertThat(g.r(10)).isEqualTo(0x10);
            assertThat(g.r(9)).isGreaterThan(KernelGuest.ENTRY); // after the INT instruction
            assertThat(g.r(CpuState.RSP)).isEqualTo(g.r(13));
        }
    }

    @Test
    void pageFaultReachesTheHandlerWithCr2AndErrorCode() {
        try (var g = KernelGuest.boot("""
                gate 14, pf
                idt_load
                movabs $0x100000040, %rax   # the fifth GiB: not mapped by the boot tables
                movq $7, (%rax)
                hlt
            pf:
                pop %r14                    # error code
                mov %cr2, %r13
                mov (%rsp), %r12            # faulting RIP
                hlt
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(14)).isEqualTo(PagedMemory.ERR_W); // not present, write, supervisor
            assertThat(g.r(13)).isEqualTo(0x100000040L);
            assertThat(g.st.cr2).isEqualTo(0x100000040L);
            assertThat(g.r(12)).isGreaterThan(KernelGuest.ENTRY);
        }
    }

    @Test
    void injectedInterruptDuringHltRunsTheHandlerAndResumesAfterHlt() {
        try (var g = KernelGuest.boot("""
                gate 0x20, irq0
                idt_load
                sti
                hlt
                mov $1, %r12
                hlt
            irq0:
                mov $'T', %al
                mov $0x3f8, %dx
                out %al, %dx
                mov $0x20, %al
                out %al, $0x20          # EOI
                iretq
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.cpu.interruptible()).isTrue();
            long afterHlt = g.st.rip;
            g.cpu.injectInterrupt(0x20);
            assertThat(g.cpu.interruptible()).isFalse(); // the interrupt gate cleared IF
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0x3f8, 1, 'T'));
            assertThat(g.run()).isEqualTo(new CpuExit.PortIo(false, 0x20, 1, 0x20));
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(12)).isEqualTo(1);
            assertThat(g.st.rip).isGreaterThan(afterHlt);
        }
    }

    @Test
    void stiHoldsInterruptsOffForOneInstruction() {
        try (var g = KernelGuest.boot("""
                sti
                nop
                hlt
                """)) {
            assertThat(g.cpu.interruptible()).isFalse(); // the boot state has IF clear
            g.cpu.run(1);
            assertThat(g.cpu.interruptible()).isFalse();
            g.cpu.run(1);
            assertThat(g.cpu.interruptible()).isTrue();
        }
    }

    @Test
    void garbageIdtEndsInShutdownNamingTheVectors() {
        try (var g = KernelGuest.boot("""
                sub $16, %rsp
                movw $0x7, (%rsp)       # room for no gate at all
                movq $0x3000, 2(%rsp)
                lidt (%rsp)
                ud2
                """)) {
            CpuExit e = g.run();
            assertThat(e).isInstanceOf(CpuExit.Shutdown.class);
            assertThat(((CpuExit.Shutdown) e).reason()).contains("triple fault").contains("#DF").contains("#UD");
            assertThat(g.run()).isEqualTo(e); // the machine stays down
            assertThat(g.cpu.interruptible()).isFalse();
        }
    }

    @Test
    void handlerThatFaultsOnItsOwnStackEscalatesToDoubleFault() {
        try (var g = KernelGuest.boot("""
                gate 8, df
                gate 13, gp
                idt_load
                movabs $0x100001000, %rsp   # an unmapped stack: #GP cannot be delivered (#PF), so #DF
                mov $0x1234, %ecx
                rdmsr                       # unknown MSR: #GP(0)
            gp:
                hlt
            df:
                mov $0x8, %r15
                hlt
                """)) {
            // #DF is delivered on the same broken stack: a triple fault.
            CpuExit e = g.run();
            assertThat(e).isInstanceOf(CpuExit.Shutdown.class);
            assertThat(((CpuExit.Shutdown) e).reason()).contains("#GP").contains("#PF");
        }
    }

    @Test
    void doubleFaultOnAnIstStackReachesItsHandler() {
        try (var g = KernelGuest.boot("""
                gate 8, df, 0x8e, 1
                gate 13, gp
                idt_load
                # A TSS at 0x4000 with IST1 = 0x6000, loaded from a new GDT slot 0x28.
                movq $0x6000, 0x4000+0x24
                lea gdt(%rip), %rsi
                mov $0x500, %rdi
                mov $7, %ecx
                rep movsq
                sub $16, %rsp
                movw $0x37, (%rsp)
                movq $0x500, 2(%rsp)
                lgdt (%rsp)
                add $16, %rsp
                mov $0x28, %ax
                ltr %ax
                movabs $0x100001000, %rsp
                mov $0x1234, %ecx
                rdmsr
            gp:
                hlt
            df:
                mov %rsp, %r15
                mov (%rsp), %r14         # the #DF error code: 0
                hlt
            .balign 8
            gdt:
                .quad 0, 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff, 0
                .quad 0x0000890040000067, 0      # 0x28: 64-bit TSS at 0x4000, limit 0x67
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(15)).isEqualTo(0x6000 - 48);
            assertThat(g.r(14)).isZero();
        }
    }
}
