package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.sys.PagedMemory;

/**
 * 16- and 32-bit protected mode on an application processor: descriptor loads and their faults, the 32-bit IDT,
 * privilege changes through the TSS, paging without long mode, and the way back to real mode.
 */
class ProtectedModeTest {

    /**
     * Real mode to 32-bit protected mode with flat segments (CS 0x08, data 0x10), ESP 0x90000 and an empty IDT of
     * 256 gates at 0x1000; then the test's body. {@code gate32 vec, handler[, type, dpl]} fills one gate.
     */
    static final String PRELUDE = """
                mov %cs, %ax
                mov %ax, %ds
                lgdtl gdtr
                lidtl idtr
                movl $0x11, %eax                # PE, ET
                movl %eax, %cr0
                ljmpl $0x08, $(BASE + pm32)
                .code32
                .set IDT, 0x1000
                .macro gate32 vec, handler, type=0x8e, sel=0x08
                    movl $(BASE + \\handler), %eax
                    movw %ax, IDT + \\vec * 8
                    movw $\\sel, IDT + \\vec * 8 + 2
                    movb $0, IDT + \\vec * 8 + 4
                    movb $\\type, IDT + \\vec * 8 + 5
                    shr $16, %eax
                    movw %ax, IDT + \\vec * 8 + 6
                .endm
            pm32:
                mov $0x10, %ax
                mov %ax, %ds
                mov %ax, %es
                mov %ax, %ss
                mov %ax, %fs
                mov %ax, %gs
                mov $0x90000, %esp
                jmp body
                .balign 8
            gdt:
                .quad 0
                .quad 0x00cf9b000000ffff        # 0x08 flat 32-bit code
                .quad 0x00cf93000000ffff        # 0x10 flat data
                .quad 0x00009b000000ffff        # 0x18 16-bit code, base 0, limit 0xffff
                .quad 0x00409300a0000fff        # 0x20 data at 0xa000, limit 0xfff
                .quad 0x00cf1b000000ffff        # 0x28 32-bit code, not present
                .quad 0x000093000000ffff        # 0x30 16-bit data, base 0, limit 0xffff (for real mode)
                .quad 0x0040970000000fff        # 0x38 expand-down 32-bit stack: offsets above 0xfff valid
                .quad 0x00cffb000000ffff        # 0x43 (0x40) ring 3 flat code
                .quad 0x00cff3000000ffff        # 0x4b (0x48) ring 3 flat data
                .quad 0x0000890030000067        # 0x50 32-bit TSS at 0x3000
                .quad 0x0000820040000017        # 0x58 an LDT at 0x4000, three descriptors
            gdt_end:
            gdtr:
                .short gdt_end - gdt - 1
                .long BASE + gdt
            idtr:
                .short 0x7ff
                .long IDT
            body:
            """;

    static LegacyGuest start(String body) {
        return LegacyGuest.start(PRELUDE + body);
    }

    @Test
    void aLimitOverrunIsGpZeroAtTheFaultingInstructionAndAnExpandDownStackIsChecked() {
        try (var g = start("""
                    gate32 13, on_gp
                    gate32 12, on_ss
                    mov $0x20, %ax
                    mov %ax, %ds                    # base 0xa000, limit 0xfff
                    movl $0x11223344, 0xffc         # the last dword: fine
                    mov $0xffd, %ebx
                faulting:
                    movl (%ebx), %ecx               # bytes 0xffd..0x1000: #GP(0)
                    mov $0x38, %ax
                    mov %ax, %ss                    # expand-down: offsets 0x1000..0xffffffff
                    mov $0x2000, %esp
                    pushl $0x5a5a                   # at 0x1ffc: fine
                    mov $0xffe, %ebp
                stack_fault:
                    movl (%ebp), %ecx               # SS:0xffe, below the valid range: #SS(0)
                    hlt
                on_gp:
                    popl %esi                       # the error code
                    movl (%esp), %edi               # the faulting EIP
                    movl $(BASE + faulting + 2), (%esp)
                    iret
                on_ss:
                    popl %ebp
                    movl (%esp), %edx
                    mov $0x10, %ax
                    mov %ax, %ss
                    mov $0x90000, %esp
                    hlt
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.mem.readInt(0xaffc)).isEqualTo(0x11223344);
            assertThat(g.r(CpuState.RSI)).as("#GP error code").isZero();
            assertThat(g.r(CpuState.RDI)).as("#GP at the MOV").isEqualTo(labelAddress(g, "faulting"));
            assertThat(g.r(CpuState.RBP)).as("#SS error code").isZero();
            assertThat(g.r(CpuState.RDX)).as("#SS at the MOV through SS").isEqualTo(labelAddress(g, "stack_fault"));
            assertThat(g.mem.readInt(0x1ffc)).as("the PUSH within the expand-down segment").isEqualTo(0x5a5a);
            assertThat(g.r(CpuState.RCX)).as("the faulting load committed nothing").isZero();
        }
    }

    @Test
    void farJumpsCheckTheTargetDescriptorWithTheManualsErrorCodes() {
        try (var g = start("""
                    gate32 11, on_np
                    gate32 13, on_gp
                    xor %ebx, %ebx                  # the fault log: vector << 16 | error code
                    ljmp $0x28, $0                  # not present: #NP(0x28)
                    ljmp $0x10, $0                  # a data segment: #GP(0x10)
                    ljmp $0x00, $0                  # null: #GP(0)
                    ljmp $0x43, $0                  # DPL 3 from CPL 0: #GP(0x40)
                    ljmp $0x08, $(BASE + next)      # fine
                    hlt
                next:
                    mov $0x2a, %edx
                    hlt
                on_np:
                    popl %eax
                    orl $0xb0000, %eax
                    jmp log
                on_gp:
                    popl %eax
                    orl $0xd0000, %eax
                log:
                    movl %eax, 0x6000(,%ebx,4)
                    incl %ebx
                    addl $7, (%esp)                 # past the seven-byte far JMP
                    iret
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RBX)).isEqualTo(4);
            assertThat(g.mem.readInt(0x6000)).isEqualTo(0xb0028);
            assertThat(g.mem.readInt(0x6004)).isEqualTo(0xd0010);
            assertThat(g.mem.readInt(0x6008)).isEqualTo(0xd0000);
            assertThat(g.mem.readInt(0x600c)).isEqualTo(0xd0040);
            assertThat(g.r(CpuState.RDX)).isEqualTo(0x2a);
        }
    }

    @Test
    void aFaultWithNoUsableIdtTripleFaultsIntoShutdown() {
        try (var g = start("""
                    lidt empty_idt
                    ljmp $0x28, $0                  # #NP, which cannot be delivered: #DF, neither: shutdown
                empty_idt:
                    .short 0
                    .long 0
                """)) {
            CpuExit e = g.runToEnd();
            assertThat(e).isInstanceOf(CpuExit.Shutdown.class);
            assertThat(((CpuExit.Shutdown) e).reason()).contains("triple fault").contains("#DF").contains("#NP(0x28)");
            assertThat(g.cpu.run(10)).isEqualTo(e);
        }
    }

    @Test
    void interruptAndTrapGatesPushAFrameOfTheirWidthAndIretRestoresIt() {
        try (var g = start("""
                    gate32 0x40, int_gate
                    gate32 0x41, trap_gate, 0x8f
                    gate32 0x42, gate16, 0x86
                    sti
                    mov %esp, %ebp
                    int $0x40
                    int $0x41
                    int $0x42
                    pushf
                    popl %edx                       # IF back after each IRET
                    mov %esp, %edi
                    hlt
                int_gate:
                    pushf
                    popl 0x6000                     # IF clear inside
                    movl 4(%esp), %eax
                    movl %eax, 0x6004               # pushed CS
                    movl 8(%esp), %eax
                    movl %eax, 0x6008               # pushed EFLAGS
                    iret
                trap_gate:
                    pushf
                    popl 0x600c                     # IF still set
                    iret
                gate16:                             # a 16-bit gate pushes FLAGS, CS, IP as words
                    movzwl 2(%esp), %eax
                    movl %eax, 0x6010
                    movl %esp, 0x6014
                    iretw
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.mem.readInt(0x6000) & CpuState.IF).isZero();
            assertThat(g.mem.readInt(0x6004)).isEqualTo(0x08);
            assertThat(g.mem.readInt(0x6008) & CpuState.IF).isNotZero();
            assertThat(g.mem.readInt(0x600c) & CpuState.IF).isNotZero();
            assertThat(g.mem.readInt(0x6010)).isEqualTo(0x08);
            assertThat(g.mem.readInt(0x6014)).isEqualTo(g.r(CpuState.RBP) - 6);
            assertThat(g.r(CpuState.RDX) & CpuState.IF).isNotZero();
            assertThat(g.r(CpuState.RDI)).isEqualTo(g.r(CpuState.RBP));
        }
    }

    @Test
    void ringThreeReachedByIretComesBackThroughTheTssStackAndFaultsOnHlt() {
        try (var g = start("""
                    gate32 0x80, syscall_gate, 0xee     # DPL 3: user code may INT 0x80
                    gate32 13, on_gp
                    movl $0x80000, 0x3004           # TSS.ESP0
                    movl $0x10, 0x3008              # TSS.SS0
                    mov $0x50, %ax
                    ltr %ax
                    pushl $0x4b                     # SS
                    pushl $0x70000                  # ESP
                    pushl $0x202                    # EFLAGS: IF
                    pushl $0x43                     # CS
                    pushl $(BASE + user)            # EIP
                    iret                            # to ring 3
                user:
                    mov %cs, %esi
                    mov %ds, %edi                   # DS (DPL 0) was nulled by the return to ring 3
                    int $0x80
                    hlt                             # privileged: #GP(0)
                syscall_gate:
                    mov %cs, %ebx
                    mov $0x10, %ax                  # DS was nulled on the way to ring 3
                    mov %ax, %ds
                    movl %esp, 0x6000               # on the TSS stack: 0x80000 - 20
                    movl 12(%esp), %eax
                    movl %eax, 0x6004               # the user ESP
                    movl 16(%esp), %eax
                    movl %eax, 0x6008               # the user SS
                    iret
                on_gp:
                    popl %edx                       # error code
                    mov $0x10, %ax
                    mov %ax, %ds
                    movl 4(%esp), %eax
                    movl %eax, 0x600c               # the CS of the fault: ring 3
                    hlt
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RSI) & 0xffff).isEqualTo(0x43);
            assertThat(g.r(CpuState.RDI) & 0xffff).isZero();
            assertThat(g.r(CpuState.RBX) & 0xffff).isEqualTo(0x08);
            assertThat(g.mem.readInt(0x6000)).isEqualTo(0x80000 - 20);
            assertThat(g.mem.readInt(0x6004)).isEqualTo(0x70000);
            assertThat(g.mem.readInt(0x6008)).isEqualTo(0x4b);
            assertThat(g.mem.readInt(0x600c)).isEqualTo(0x43);
            assertThat(g.r(CpuState.RDX)).isZero();
            assertThat(g.st.cpl).isZero();
            assertThat(g.mem.readByte(g.st.gdtBase + 0x55) & 0xf).as("LTR marked the TSS busy").isEqualTo(0xb);
        }
    }

    @Test
    void sixteenBitProtectedModeAndBackToRealMode() {
        try (var g = start("""
                    ljmp $0x18, $(BASE + pm16)      # a 16-bit code segment with base 0
                    .code16
                pm16:
                    mov $0x1234, %ax                # 16-bit operands by default now
                    push %ax
                    pop %bx
                    mov $0x30, %ax
                    mov %ax, %ds
                    mov %ax, %es
                    mov %ax, %ss
                    mov %cr0, %eax
                    and $0xfffffffe, %eax
                    mov %eax, %cr0                  # real mode, still with the 16-bit caches
                    ljmp $(BASE >> 4), $real
                real:
                    mov %cs, %cx
                    mov $0x700, %ax
                    mov %ax, %ds                    # base 0x7000 again
                    movw $0xbeef, 0x10
                    mov $0x2000, %sp
                    pushw $0x55
                    popw %dx
                    hlt
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RBX) & 0xffff).isEqualTo(0x1234);
            assertThat(g.r(CpuState.RCX) & 0xffff).isEqualTo(0x800);
            assertThat(g.r(CpuState.RDX) & 0xffff).isEqualTo(0x55);
            assertThat(g.mem.readShort(0x7010) & 0xffff).isEqualTo(0xbeef);
            assertThat(g.st.codeSize).isEqualTo(2);
            assertThat(g.st.cr0 & CpuState.CR0_PE).isZero();
        }
    }

    @Test
    void thirtyTwoBitPagingWithFourKibAndFourMibPagesAndAPageFault() {
        try (var g = start("""
                    gate32 14, on_pf
                    movl $0x20003, 0x10000          # PD[0] -> page table at 0x20000
                    movl $0x00c00083, 0x10004       # PD[1]: a 4 MiB page, linear 4 MiB -> physical 12 MiB
                    movl $0, %ecx
                1:  movl %ecx, %eax                 # PT: identity for the first 4 MiB...
                    shll $12, %eax
                    orl $3, %eax
                    movl %eax, 0x20000(,%ecx,4)
                    incl %ecx
                    cmpl $1024, %ecx
                    jne 1b
                    movl $0x00500003, 0x20000 + 0x300 * 4   # ... except linear 0x300000 -> 0x500000
                    movl $0, 0x20000 + 0x301 * 4            # and 0x301000 not present
                    movl $0xcafe, 0x500000
                    movl $0xf00d, 0xc00010
                    mov %cr4, %eax
                    orl $0x10, %eax                 # PSE
                    mov %eax, %cr4
                    movl $0x10000, %eax
                    mov %eax, %cr3
                    mov %cr0, %eax
                    orl $0x80000000, %eax
                    mov %eax, %cr0                  # paging, not long mode
                    movl 0x300000, %esi
                    movl 0x400010, %edi
                    movl $7, 0x301008               # #PF, write, not present
                    hlt
                on_pf:
                    popl %edx
                    mov %cr2, %ebx
                    hlt
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RSI)).isEqualTo(0xcafe);
            assertThat(g.r(CpuState.RDI)).isEqualTo(0xf00d);
            assertThat(g.r(CpuState.RBX)).isEqualTo(0x301008);
            assertThat(g.r(CpuState.RDX)).isEqualTo(PagedMemory.ERR_W);
            assertThat(g.st.efer & CpuState.EFER_LMA).isZero();
            assertThat(g.mem.readInt(0x20000 + 0x300 * 4) & 0x20).as("accessed bit").isNotZero();
        }
    }

    @Test
    void paePagingWithoutLongModeHonoursNx() {
        try (var g = start("""
                    gate32 14, on_pf
                    movl $0x11001, 0x10000          # PDPT[0] -> PD at 0x11000
                    movl $0x83, 0x11000             # PD[0]: 2 MiB identity, present, writable
                    movl $0x200083, 0x11008         # PD[1]: 2..4 MiB
                    movl $0x80000000, 0x1100c       # ... NX
                    movb $0xc3, 0x200000            # a RET there
                    movl $0xc0000080, %ecx
                    rdmsr
                    orl $0x800, %eax                # NXE
                    wrmsr
                    mov %cr4, %eax
                    orl $0x20, %eax                 # PAE
                    mov %eax, %cr4
                    movl $0x10000, %eax
                    mov %eax, %cr3
                    mov %cr0, %eax
                    orl $0x80000000, %eax
                    mov %eax, %cr0
                    movl 0x200000, %esi             # readable
                    call *%eax                      # EAX = CR0: never mind, replaced below
                on_pf:
                    popl %edx
                    mov %cr2, %ebx
                    hlt
                """.replace("call *%eax                      # EAX = CR0: never mind, replaced below",
                "movl $0x200000, %eax\n                    call *%eax"))) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RSI) & 0xff).isEqualTo(0xc3);
            assertThat(g.r(CpuState.RBX)).isEqualTo(0x200000);
            assertThat(g.r(CpuState.RDX)).isEqualTo(PagedMemory.ERR_P | PagedMemory.ERR_I);
        }
    }

    @Test
    void segmentsFromTheLdtAndInstructionsThatDifferOutside64BitMode() {
        try (var g = start("""
                    gate32 6, on_ud
                    movl $0x0000ffff, 0x4008        # LDT[1]: data at 0x50000, limit 0xffff
                    movl $0x00409305, 0x400c
                    mov $0x58, %ax
                    lldt %ax
                    mov $0x0c, %ax                  # LDT selector 1, TI set
                    mov %ax, %fs
                    movl $0x77, %fs:0x10
                    xor %eax, %eax
                    .byte 0x40                      # INC EAX, not REX
                    push %cs
                    popl %ecx                       # PUSH CS is valid here
                    mov $0x13, %dx
                    mov $0x10, %bx
                    arpl %dx, %bx                   # RPL 0 < 3: BX gets RPL 3, ZF set
                    setz %bh
                    syscall                         # #UD outside 64-bit mode
                    hlt
                on_ud:
                    movl (%esp), %esi
                    hlt
                """)) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.mem.readInt(0x50010)).isEqualTo(0x77);
            assertThat(g.r(CpuState.RAX)).isEqualTo(1);
            assertThat(g.r(CpuState.RCX)).isEqualTo(0x08);
            assertThat(g.r(CpuState.RBX) & 0xffff).isEqualTo(0x0113);
            assertThat(g.mem.readShort(g.r(CpuState.RSI)) & 0xffff).as("#UD at the SYSCALL").isEqualTo(0x050f);
        }
    }

    private static long labelAddress(LegacyGuest g, String label) {
        return LegacyGuest.BASE + g.symbol(label);
    }
}
