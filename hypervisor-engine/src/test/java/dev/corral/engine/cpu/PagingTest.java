package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.sys.PagedMemory;

/**
 * The system CPU's page walk and TLB against page tables the test writes beside the loader's identity map:
 * PML4[1] (linear 0x80_0000_0000) gets a 1 GiB page, a 2 MiB page and a 4 KiB page table.
 */
class PagingTest {

    static final long PML4 = 0x9000; // the loader's (Layout.PML4)
    static final long PDPT = 0x400000, PD = 0x401000, PD4K = 0x402000, PT = 0x403000;
    static final long BASE = 0x8000000000L;
    static final long ONE_GIB = BASE, TWO_MIB = BASE + 0x40000000L, FOUR_KIB = BASE + 0x80000000L;
    static final long P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, NX = 1L << 63;
    static final long PAGE_A = 0x600000, PAGE_B = 0x601000;

    /** Maps ONE_GIB -> phys 0 (1 GiB), TWO_MIB -> phys 0x800000 (2 MiB), FOUR_KIB -> {@code leaf} (4 KiB). */
    static void map(KernelGuest g, long leaf) {
        g.mem.writeLong(PML4 + 8, PDPT | P | RW);
        g.mem.writeLong(PDPT, P | RW | PS);
        g.mem.writeLong(PDPT + 8, PD | P | RW);
        g.mem.writeLong(PD, 0x800000 | P | RW | PS);
        g.mem.writeLong(PDPT + 16, PD4K | P | RW);
        g.mem.writeLong(PD4K, PT | P | RW);
        g.mem.writeLong(PT, leaf);
    }

    @Test
    void oneGibTwoMibAndFourKibPagesTranslateAndGetAccessedAndDirtyBits() {
        try (var g = KernelGuest.boot("""
                movabs $0x8000500120, %rax
                mov (%rax), %r8
                movabs $0x8040001230, %rax
                mov (%rax), %r9
                movabs $0x8080000010, %rax
                mov (%rax), %r10
                movq $0x77, 8(%rax)
                hlt
                """)) {
            map(g, PAGE_A | P | RW);
            g.mem.writeLong(0x500120, 0x1111);
            g.mem.writeLong(0x801230, 0x2222);
            g.mem.writeLong(PAGE_A + 0x10, 0x3333);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(8)).isEqualTo(0x1111);
            assertThat(g.r(9)).isEqualTo(0x2222);
            assertThat(g.r(10)).isEqualTo(0x3333);
            assertThat(g.mem.readLong(PAGE_A + 0x18)).isEqualTo(0x77);
            assertThat(g.mem.readLong(PT) & (A | D)).isEqualTo(A | D);
            assertThat(g.mem.readLong(PD) & (A | D)).isEqualTo(A); // read only: accessed, not dirty
            assertThat(g.mem.readLong(PDPT) & A).isEqualTo(A);
        }
    }

    @Test
    void fetchFromNoExecutePageFaultsWithTheInstructionBit() {
        try (var g = KernelGuest.boot("""
                gate 14, pf
                idt_load
                mov $0xc0000080, %ecx
                rdmsr
                or $0x800, %eax          # EFER.NXE
                wrmsr
                movabs $0x8080000000, %rax
                call *%rax
                hlt
            pf:
                pop %r14
                mov %cr2, %r13
                hlt
                """)) {
            map(g, PAGE_A | P | RW | NX);
            g.mem.writeByte(PAGE_A, (byte) 0xc3);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(14)).isEqualTo(PagedMemory.ERR_P | PagedMemory.ERR_I);
            assertThat(g.r(13)).isEqualTo(FOUR_KIB);
        }
    }

    @Test
    void readOnlyPageTakesSupervisorWritesUntilCr0WpIsSet() {
        try (var g = KernelGuest.boot("""
                gate 14, pf
                idt_load
                movabs $0x8080000000, %rbx
                movq $1, (%rbx)          # WP clear: the supervisor writes anyway
                mov %cr0, %rax
                or $0x10000, %rax
                mov %rax, %cr0
                movq $2, (%rbx)
                hlt
            pf:
                pop %r14
                mov %cr2, %r13
                hlt
                """)) {
            map(g, PAGE_A | P);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.mem.readLong(PAGE_A)).isEqualTo(1);
            assertThat(g.r(14)).isEqualTo(PagedMemory.ERR_P | PagedMemory.ERR_W);
            assertThat(g.r(13)).isEqualTo(FOUR_KIB);
        }
    }

    @Test
    void changedMappingIsSeenOnlyAfterCr3WriteOrInvlpg() {
        try (var g = KernelGuest.boot("""
                movabs $0x8080000000, %rbx
                mov (%rbx), %r8
                movq $0x601003, 0x403000    # the PTE now points at page B
                mov (%rbx), %r9
                mov %cr3, %rax
                mov %rax, %cr3
                mov (%rbx), %r10
                movq $0x600003, 0x403000    # back to page A
                invlpg (%rbx)
                mov (%rbx), %r11
                hlt
                """)) {
            map(g, PAGE_A | P | RW);
            g.mem.writeLong(PAGE_A, 0xaaaa);
            g.mem.writeLong(PAGE_B, 0xbbbb);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(8)).isEqualTo(0xaaaa);
            assertThat(g.r(9)).isEqualTo(0xaaaa); // the TLB still holds the old translation, as hardware may
            assertThat(g.r(10)).isEqualTo(0xbbbb);
            assertThat(g.r(11)).isEqualTo(0xaaaa);
        }
    }

    @Test
    void codeRewrittenThroughAnAliasMappingRunsTheNewBytes() {
        try (var g = KernelGuest.boot("""
                mov $0x600000, %rbx
                call *%rbx
                mov %eax, %r8d
                movabs $0x8080000001, %rcx   # the same page through the 4 KiB alias
                movl $2, (%rcx)
                call *%rbx
                mov %eax, %r9d
                hlt
                """)) {
            map(g, PAGE_A | P | RW);
            g.mem.write(PAGE_A, new byte[] {(byte) 0xb8, 1, 0, 0, 0, (byte) 0xc3}); // mov $1, %eax; ret
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(8)).isEqualTo(1);
            assertThat(g.r(9)).isEqualTo(2);
        }
    }

    @Test
    void userModeEntersThroughIretqAndComesBackOnRsp0WhenItFaults() {
        try (var g = KernelGuest.boot("""
                gate 13, gp
                gate 14, pf
                idt_load
                movq $0x5800, 0x4000+4      # TSS.RSP0
                lea gdt(%rip), %rsi
                mov $0x500, %rdi
                mov $8, %ecx
                rep movsq
                sub $16, %rsp
                movw $0x3f, (%rsp)
                movq $0x500, 2(%rsp)
                lgdt (%rsp)
                add $16, %rsp
                mov $0x20, %ax
                ltr %ax
                push $0x33                  # SS: user data
                push $0x5000                # user RSP
                push $0x202                 # RFLAGS: IF
                push $0x3b                  # CS: user code
                lea user(%rip), %rax
                push %rax
                iretq
            user:
                mov $1, %r8
                mov (%rsp), %r9             # a user page: fine
                hlt                         # privileged: #GP(0)
            gp:
                pop %r14
                mov (%rsp), %r13
                mov 8(%rsp), %r12
                mov 32(%rsp), %r11
                mov %rsp, %r10
                hlt
            pf:
                hlt
            .balign 8
            gdt:
                .quad 0, 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff
                .quad 0x0000890040000067, 0      # 0x20: 64-bit TSS at 0x4000
                .quad 0x00cff3000000ffff         # 0x30: user data
                .quad 0x00affb000000ffff         # 0x38: user 64-bit code
                """)) {
            // Let user mode reach the first 16 MiB: the loader's tables are supervisor-only.
            g.mem.writeLong(PML4, g.mem.readLong(PML4) | US);
            g.mem.writeLong(0xa000, g.mem.readLong(0xa000) | US);
            for (int k = 0; k < 8; k++) {
                g.mem.writeLong(0xb000 + 8L * k, g.mem.readLong(0xb000 + 8L * k) | US);
            }
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.st.cpl).isZero();
            assertThat(g.r(8)).isEqualTo(1);
            assertThat(g.r(14)).isZero();             // #GP(0)
            assertThat(g.r(12)).isEqualTo(0x3b);      // interrupted CS: user
            assertThat(g.r(11)).isEqualTo(0x33);      // interrupted SS
            assertThat(g.r(10)).isEqualTo(0x5800 - 40);
            assertThat(g.st.cs).isEqualTo(0x10);
        }
    }

    @Test
    void userModeReadOfSupervisorPageFaultsWithTheUserBit() {
        try (var g = KernelGuest.boot("""
                gate 14, pf
                idt_load
                lea gdt(%rip), %rsi
                mov $0x500, %rdi
                mov $8, %ecx
                rep movsq
                sub $16, %rsp
                movw $0x3f, (%rsp)
                movq $0x500, 2(%rsp)
                lgdt (%rsp)
                add $16, %rsp
                movq $0x5800, 0x4000+4
                mov $0x20, %ax
                ltr %ax
                push $0x33
                push $0x5000
                push $0x2
                push $0x3b
                lea user(%rip), %rax
                push %rax
                iretq
            user:
                movabs $0x8080000000, %rax
                mov (%rax), %rax
            pf:
                pop %r14
                mov %cr2, %r13
                hlt
            .balign 8
            gdt:
                .quad 0, 0x00cf9b000000ffff, 0x00af9b000000ffff, 0x00cf93000000ffff
                .quad 0x0000890040000067, 0
                .quad 0x00cff3000000ffff
                .quad 0x00affb000000ffff
                """)) {
            g.mem.writeLong(PML4, g.mem.readLong(PML4) | US);
            g.mem.writeLong(0xa000, g.mem.readLong(0xa000) | US);
            for (int k = 0; k < 8; k++) {
                g.mem.writeLong(0xb000 + 8L * k, g.mem.readLong(0xb000 + 8L * k) | US);
            }
            map(g, PAGE_A | P | RW); // PML4[1] has no US bit: supervisor only
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(14)).isEqualTo(PagedMemory.ERR_P | PagedMemory.ERR_U);
            assertThat(g.r(13)).isEqualTo(FOUR_KIB);
        }
    }
}
