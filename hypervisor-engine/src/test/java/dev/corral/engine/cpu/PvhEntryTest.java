package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.boot.PvhBoot;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.memory.GuestMemory;

/**
 * A boot processor from the PVH entry (32-bit protected mode, paging off, EBX = hvm_start_info), as Linux's
 * pvh_start_xen uses it: its own GDT, PAE, EFER.LME, paging on and a far jump into 64-bit code.
 */
class PvhEntryTest {

    @Test
    void thePvhEntryRunsThirtyTwoBitCodeThatEntersLongModeItself() {
        byte[] elf = LegacyGuest.assembleElf("""
                    .section .note.Xen, "a"
                    .balign 4
                    .long 4, 4, 18                  # XEN_ELFNOTE_PHYS32_ENTRY
                    .asciz "Xen"
                    .balign 4
                    .long start
                    .text
                    .code32
                    .globl start
                start:
                    movl (%ebx), %esi               # hvm_start_info.magic
                    lgdt gdtr
                    mov $0x18, %eax
                    mov %eax, %ds
                    mov %eax, %ss
                    movl $0x200000, %esp
                    mov $pml4, %edi                 # PML4 -> PDPT -> PD: 2 MiB pages over the first 1 GiB
                    movl $pdpt + 3, (%edi)
                    movl $pd + 3, pdpt
                    xor %ecx, %ecx
                1:  mov %ecx, %eax
                    shl $21, %eax
                    or $0x83, %eax
                    mov %eax, pd(,%ecx,8)
                    inc %ecx
                    cmp $512, %ecx
                    jne 1b
                    mov %cr4, %eax
                    or $0x20, %eax
                    mov %eax, %cr4
                    mov $pml4, %eax
                    mov %eax, %cr3
                    mov $0xc0000080, %ecx
                    rdmsr
                    bts $8, %eax
                    wrmsr
                    mov $0x80000001, %eax
                    mov %eax, %cr0
                    ljmp $0x10, $long64
                    .code64
                long64:
                    mov $'P', %al
                    out %al, $0xe9
                    hlt
                    .balign 8
                gdt:
                    .quad 0, 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff
                gdtr:
                    .word 31
                    .long gdt
                    .balign 4096
                pml4: .fill 512, 8, 0
                pdpt: .fill 512, 8, 0
                pd:   .fill 512, 8, 0
                """, 0x101000); // ld puts the headers and the note in the page below
        try (GuestMemory mem = GuestMemory.allocate(16L << 20)) {
            var plan = PvhBoot.load(mem, elf, null, "");
            assertThat(plan.entry().longMode()).isFalse();
            Cpu cpu = Cpu.system(mem, new MmioHandler() {
                @Override
                public long read(long physicalAddress, int size) {
                    return -1L;
                }

                @Override
                public void write(long physicalAddress, int size, long value) {
                }
            }, plan.entry());
            assertThat(cpu.state().codeSize).isEqualTo(4);
            assertThat(cpu.run(100_000)).isEqualTo(new CpuExit.PortIo(false, 0xe9, 1, 'P'));
            assertThat(cpu.run(100_000)).isInstanceOf(CpuExit.Halt.class);
            assertThat(cpu.state().gpr[CpuState.RSI]).as("hvm_start_info's magic").isEqualTo(0x336ec578L);
            assertThat(cpu.state().codeSize).isEqualTo(8);
            assertThat(cpu.state().efer & CpuState.EFER_LMA).isNotZero();
        }
    }
}
