# The ticker: a tiny x86-64 test guest in bzImage form. It proves a VMM delivers timer interrupts: it takes
# the 64-bit boot protocol entry, installs its own IDT and stack, remaps the two 8259A PICs to vectors
# 0x20-0x2f, runs the 8254's counter 0 at 100 Hz, counts IRQ 0s and sleeps in HLT in between. On COM1 it
# prints "corral ticker: booted", then "tick N" every interval.
#
# Command line (boot_params.hdr.cmd_line_ptr), space separated:
#   ticks=N      after "tick N", power off: write 0 to the debug-exit port 0x501 (then the i8042 reset)
#   interval=MS  milliseconds between ticks (default 1000; 10 ms resolution)
#   crash        triple-fault right after "tick 1" (an IDT of limit 0, then UD2)
#   busy         wait for timer interrupts in a loop with interrupts enabled instead of in HLT (a guest that never
#                exits to the VMM on its own: its timer must still fire)
#   rep          print the "booted" line with one REP OUTSB, then read the UART's line status register twice with one
#                REP INSB and print what it said: "corral ticker: lsr 96 96" (string port I/O, one exit or many)
#   fwait        execute FWAIT once, right after "booted", and print "corral ticker: fwait" (kvm_pvm's emulator
#                cannot run it in ring 0 either)
#   int3         execute INT3 once, right after "booted": the #BP handler prints "corral ticker: breakpoint" and
#                returns past it (under kvm_pvm the VMM must step over KVM's failure to emulate INT3 in ring 0)
# An unexpected exception or interrupt prints "corral ticker: unexpected vector V" and powers off with 2.
#
# The ACPI power button shuts it down: it enables the fixed-feature power button event at the PM1 block Corral's
# machine has (PM1a_EVT_BLK 0x600, PM1a_CNT_BLK 0x604, SCI on IRQ 9, as its FADT says; the ticker does not parse the
# tables) and, on a press, prints "corral ticker: power button" and enters S5 (SLP_TYP 5 | SLP_EN). A machine with
# nothing at those ports ignores the writes and never raises IRQ 9.
#
# Two ways in: the 64-bit entry at +0x200 of the kernel (Corral's LinuxBoot, the boot protocol's 64-bit path),
# and the real-mode setup code (QEMU's -kernel), which switches to long mode itself and joins the first. Booting
# both ways lets QEMU serve as a differential oracle for Corral's CPU, PIC and PIT.

        .set COM1, 0x3f8
        .set COM1_LSR, COM1 + 5
        .set LSR_THRE, 0x20
        .set PIC1_CMD, 0x20
        .set PIC1_DATA, 0x21
        .set PIC2_CMD, 0xa0
        .set PIC2_DATA, 0xa1
        .set PIC_EOI, 0x20
        .set PIT_COUNTER0, 0x40
        .set PIT_CONTROL, 0x43
        .set PIT_HZ, 100
        .set PIT_COUNT, (1193182 + PIT_HZ / 2) / PIT_HZ
        .set DEBUG_EXIT, 0x501
        .set I8042_COMMAND, 0x64
        .set IRQ0_VECTOR, 0x20
        .set SCI_VECTOR, IRQ0_VECTOR + 9
        .set PM1_STS, 0x600
        .set PM1_EN, 0x602
        .set PM1_CNT, 0x604
        .set PWRBTN, 0x0100                     # PWRBTN_STS in PM1_STS, PWRBTN_EN in PM1_EN
        .set S5_SLEEP, (5 << 10) | (1 << 13)    # SLP_TYP 5 (the machine's \_S5), SLP_EN
        .set BREAKPOINT_VECTOR, 3
        .set BP_CMD_LINE_PTR, 0x228
        .set BP_EXT_CMD_LINE_PTR, 0x0c8
        .set SETUP_PAGE_TABLES, 0x70000         # real-mode path only: free low memory for its page tables

# ---------------------------------------------------------------------------------------------------------------
# Boot sector and setup header (Documentation/arch/x86/boot.rst). Only the fields a loader reads are filled in.

        .section .setup, "ax"
        .code16
        .globl _start
_start:
        cli
1:      hlt
        jmp     1b

        .org    0x1f1
        .byte   setup_sects             # setup_sects
        .word   0                       # root_flags
        .long   syssize                 # syssize: the protected-mode kernel, in 16-byte units
        .word   0                       # ram_size
        .word   0                       # vid_mode
        .word   0                       # root_dev
        .word   0xaa55                  # boot_flag
        .org    0x200
        .byte   0xeb                    # jump over the header to the setup code
        .byte   setup_code - 0x202      # ... which also says where the header ends
        .ascii  "HdrS"                  # header
        .word   0x020f                  # version 2.15
        .long   0                       # realmode_swtch
        .word   0                       # start_sys_seg
        .word   0                       # kernel_version
        .byte   0                       # type_of_loader
        .byte   0x01                    # loadflags: LOADED_HIGH
        .word   0                       # setup_move_size
        .long   0x100000                # code32_start
        .long   0                       # ramdisk_image
        .long   0                       # ramdisk_size
        .long   0                       # bootsect_kludge
        .word   0                       # heap_end_ptr
        .byte   0                       # ext_loader_ver
        .byte   0                       # ext_loader_type
        .long   0                       # cmd_line_ptr
        .long   0x7fffffff              # initrd_addr_max
        .long   0x200000                # kernel_alignment
        .byte   0                       # relocatable_kernel: no, it runs where it is linked, at 1 MiB
        .byte   21                      # min_alignment (2 MiB)
        .word   0x0001                  # xloadflags: XLF_KERNEL_64
        .long   2047                    # cmdline_size
        .long   0                       # hardware_subarch
        .quad   0                       # hardware_subarch_data
        .long   0                       # payload_offset
        .long   0                       # payload_length
        .quad   0                       # setup_data
        .quad   0x100000                # pref_address
        .long   init_size               # init_size: file and .bss, from the load address
        .long   0                       # handover_offset
        .long   0                       # kernel_info_offset
setup_code:
        # The real-mode entry, for loaders that run the setup code (QEMU's -kernel): CS is the real-mode
        # kernel's segment + 0x20, and boot_params is the real-mode kernel itself, header filled in by the
        # loader. Go straight from real mode to long mode (identity-mapping the first GiB) and take the
        # 64-bit entry as the boot protocol would: RSI = boot_params, flat segments, interrupts off.
        cli
        cld
        mov     %cs, %ax
        sub     $0x20, %ax
        mov     %ax, %ds                        # DS:0 = boot_params; our own symbols are offsets from it
        movzwl  %ax, %esi
        shl     $4, %esi                        # ESI = boot_params, linear

        mov     $SETUP_PAGE_TABLES >> 4, %ax    # PML4, PDPT and PD, cleared
        mov     %ax, %es
        xor     %di, %di
        xor     %eax, %eax
        mov     $0x3000 / 4, %cx
        rep stosl
        movl    $SETUP_PAGE_TABLES + 0x1003, %es:0x0000         # PML4[0] -> PDPT, present, writable
        movl    $SETUP_PAGE_TABLES + 0x2003, %es:0x1000         # PDPT[0] -> PD
        mov     $0x2000, %di
        mov     $0x83, %eax                     # 2 MiB pages: present, writable, large
        mov     $512, %cx
1:      mov     %eax, %es:(%di)
        add     $0x200000, %eax
        add     $8, %di
        loop    1b

        inb     $0x92, %al                      # fast A20 on, without pulsing the reset bit
        or      $0x02, %al
        and     $0xfe, %al
        outb    %al, $0x92

        movl    $setup_gdt, %eax                # the descriptors' linear addresses: we run wherever we were put
        add     %esi, %eax
        mov     %eax, setup_gdtr + 2
        movl    $setup_long_mode, %eax
        add     %esi, %eax
        mov     %eax, setup_far_jump
        lgdtl   setup_gdtr

        mov     %cr4, %eax
        or      $0x20, %eax                     # PAE
        mov     %eax, %cr4
        mov     $SETUP_PAGE_TABLES, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx               # EFER.LME
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax               # PG and PE at once: long mode
        mov     %eax, %cr0
        ljmpl   *setup_far_jump

        .code64
setup_long_mode:
        mov     $0x10, %eax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        mov     %esi, %esi                      # zero-extended
        mov     $0x100200, %eax
        jmp     *%rax

        .balign 8
setup_gdt:
        .quad   0
        .quad   0x00af9a000000ffff              # 0x08: 64-bit code
        .quad   0x00cf92000000ffff              # 0x10: flat data
setup_gdtr:
        .word   3 * 8 - 1
        .long   0
setup_far_jump:
        .long   0
        .word   0x08

# ---------------------------------------------------------------------------------------------------------------
# The kernel, loaded at 1 MiB. The 32-bit entry (startup_32, +0) is not supported; the 64-bit one is at +0x200:
# long mode, paging identity-mapping us, interrupts off, RSI = boot_params.

        .section .text.head, "ax"
        .code32
startup_32:
        cli
1:      hlt
        jmp     1b

        .org    0x200
        .code64
        .globl  startup_64
startup_64:
        cli
        cld
        lea     stack_top(%rip), %rsp
        mov     %rsi, %r15                      # boot_params, kept in a callee-saved register
        lea     __bss_start(%rip), %rdi         # a loader need not clear .bss
        lea     _bss_end(%rip), %rcx
        sub     %rdi, %rcx
        xor     %eax, %eax
        rep stosb

        call    serial_init
        call    parse_cmdline
        call    idt_init
        call    pic_init
        call    pit_init
        call    acpi_init
        cmpb    $0, rep(%rip)
        jne     1f
        lea     msg_booted(%rip), %rsi
        call    puts
        jmp     2f
1:      lea     msg_booted(%rip), %rsi
        mov     $msg_booted_end - msg_booted - 1, %ecx
        mov     $COM1, %dx
        rep outsb
        lea     lsr_bytes(%rip), %rdi
        mov     $2, %ecx
        mov     $COM1_LSR, %dx
        rep insb
        lea     msg_lsr(%rip), %rsi
        call    puts
        movzbl  lsr_bytes(%rip), %eax
        call    putdec
        lea     msg_space(%rip), %rsi
        call    puts
        movzbl  lsr_bytes + 1(%rip), %eax
        call    putdec
        lea     msg_newline(%rip), %rsi
        call    puts
2:      cmpb    $0, fwait(%rip)
        je      3f
        fwait
        lea     msg_fwait(%rip), %rsi
        call    puts
3:      cmpb    $0, int3(%rip)
        je      main_loop
        int3

main_loop:
        cli                                     # look at the count with IRQ 0 held off...
        mov     irq0_count(%rip), %rax
        cmp     next_tick_at(%rip), %rax
        jae     report_tick
        cmpb    $0, busy(%rip)
        jne     busy_wait
        sti                                     # ... and sleep atomically: STI holds interrupts off until after HLT
        hlt
        jmp     main_loop

busy_wait:                                      # spin with interrupts on until the tick is due
        sti
1:      mov     irq0_count(%rip), %rax
        cmp     next_tick_at(%rip), %rax
        jb      1b
        jmp     main_loop

report_tick:
        mov     ticks_per_interval(%rip), %rax
        add     %rax, next_tick_at(%rip)
        incq    ticks(%rip)
        lea     msg_tick(%rip), %rsi
        call    puts
        mov     ticks(%rip), %rax
        call    putdec
        lea     msg_newline(%rip), %rsi
        call    puts
        cmpb    $0, crash(%rip)
        jne     triple_fault
        mov     max_ticks(%rip), %rax
        test    %rax, %rax
        jz      main_loop
        cmp     ticks(%rip), %rax
        ja      main_loop
        xor     %eax, %eax
        jmp     power_off

# Powers off with status AL: the debug-exit port for test VMMs, the i8042 reset line for the rest.
power_off:
        mov     $DEBUG_EXIT, %dx
        outb    %al, %dx
        mov     $0xfe, %al
        outb    %al, $I8042_COMMAND
        cli
1:      hlt
        jmp     1b

triple_fault:
        lea     msg_crashing(%rip), %rsi
        call    puts
        lidt    empty_idtr(%rip)
        ud2                                     # #UD, #GP, #DF: none can be delivered through an empty IDT

# ---------------------------------------------------------------------------------------------------------------
# COM1, polled: 115200 8N1, no interrupts.

serial_init:
        mov     $COM1 + 1, %dx
        xor     %al, %al
        outb    %al, %dx                        # IER: nothing
        mov     $COM1 + 3, %dx
        mov     $0x80, %al
        outb    %al, %dx                        # LCR: DLAB
        mov     $COM1, %dx
        mov     $1, %al
        outb    %al, %dx                        # DLL: 115200 baud
        mov     $COM1 + 1, %dx
        xor     %al, %al
        outb    %al, %dx                        # DLM
        mov     $COM1 + 3, %dx
        mov     $0x03, %al
        outb    %al, %dx                        # LCR: 8N1
        ret

# Writes AL once the transmitter holding register is empty.
putc:
        mov     %al, %cl
        mov     $COM1_LSR, %dx
1:      inb     %dx, %al
        test    $LSR_THRE, %al
        jz      1b
        mov     $COM1, %dx
        mov     %cl, %al
        outb    %al, %dx
        ret

# Writes the NUL-terminated string at RSI.
puts:
        push    %rsi
1:      mov     (%rsi), %al
        test    %al, %al
        jz      2f
        call    putc
        inc     %rsi
        jmp     1b
2:      pop     %rsi
        ret

# Writes RAX in decimal.
putdec:
        push    %rbx
        lea     decimal_end(%rip), %rsi
        movb    $0, (%rsi)
        mov     $10, %rbx
1:      xor     %edx, %edx
        div     %rbx
        add     $'0', %dl
        dec     %rsi
        mov     %dl, (%rsi)
        test    %rax, %rax
        jnz     1b
        call    puts
        pop     %rbx
        ret

# ---------------------------------------------------------------------------------------------------------------
# The command line.

parse_cmdline:
        mov     BP_CMD_LINE_PTR(%r15), %esi
        mov     BP_EXT_CMD_LINE_PTR(%r15), %eax
        shl     $32, %rax
        or      %rax, %rsi
        test    %rsi, %rsi
        jz      set_interval                    # no command line: the defaults
next_word:
        mov     (%rsi), %al
        test    %al, %al
        jz      set_interval
        cmp     $' ', %al
        jne     1f
        inc     %rsi
        jmp     next_word
1:      lea     word_ticks(%rip), %rdi
        call    match
        jne     2f
        call    parse_decimal
        mov     %rax, max_ticks(%rip)
        jmp     skip_word
2:      lea     word_interval(%rip), %rdi
        call    match
        jne     3f
        call    parse_decimal
        mov     %rax, interval_ms(%rip)
        jmp     skip_word
3:      lea     word_crash(%rip), %rdi
        call    match
        jne     5f
        mov     (%rsi), %al                     # "crash" only as a whole word
        test    %al, %al
        jz      4f
        cmp     $' ', %al
        jne     skip_word
4:      movb    $1, crash(%rip)
        jmp     skip_word
5:      lea     word_int3(%rip), %rdi
        call    match
        jne     7f
        mov     (%rsi), %al                     # "int3" only as a whole word
        test    %al, %al
        jz      6f
        cmp     $' ', %al
        jne     skip_word
6:      movb    $1, int3(%rip)
        jmp     skip_word
7:      lea     word_busy(%rip), %rdi
        call    match
        jne     9f
        mov     (%rsi), %al                     # "busy" only as a whole word
        test    %al, %al
        jz      8f
        cmp     $' ', %al
        jne     skip_word
8:      movb    $1, busy(%rip)
        jmp     skip_word
9:      lea     word_rep(%rip), %rdi
        call    match
        jne     11f
        mov     (%rsi), %al                     # "rep" only as a whole word
        test    %al, %al
        jz      10f
        cmp     $' ', %al
        jne     skip_word
10:     movb    $1, rep(%rip)
        jmp     skip_word
11:     lea     word_fwait(%rip), %rdi
        call    match
        jne     skip_word
        mov     (%rsi), %al                     # "fwait" only as a whole word
        test    %al, %al
        jz      12f
        cmp     $' ', %al
        jne     skip_word
12:     movb    $1, fwait(%rip)
skip_word:
        mov     (%rsi), %al
        test    %al, %al
        jz      set_interval
        cmp     $' ', %al
        je      next_word
        inc     %rsi
        jmp     skip_word
set_interval:
        mov     interval_ms(%rip), %rax         # IRQ 0s per tick: interval / 10 ms, rounded, at least 1
        add     $5, %rax
        xor     %edx, %edx
        mov     $1000 / PIT_HZ, %ecx
        div     %rcx
        test    %rax, %rax
        jnz     1f
        mov     $1, %eax
1:      mov     %rax, ticks_per_interval(%rip)
        mov     %rax, next_tick_at(%rip)
        ret

# If the NUL-terminated word at RDI starts the text at RSI, advances RSI past it and sets ZF; else clears ZF.
match:
        push    %rsi
1:      mov     (%rdi), %al
        test    %al, %al
        jz      2f
        cmp     (%rsi), %al
        jne     3f
        inc     %rdi
        inc     %rsi
        jmp     1b
2:      lea     8(%rsp), %rsp                   # matched: keep the advanced RSI; ZF is still set from the test
        ret
3:      pop     %rsi                            # ZF is clear from the cmp
        ret

# Reads decimal digits at RSI into RAX, advancing RSI.
parse_decimal:
        xor     %eax, %eax
1:      movzbl  (%rsi), %ecx
        sub     $'0', %ecx
        cmp     $9, %ecx
        ja      2f
        imul    $10, %rax, %rax
        add     %rcx, %rax
        inc     %rsi
        jmp     1b
2:      ret

# ---------------------------------------------------------------------------------------------------------------
# Interrupts: 256 interrupt gates, each to a 16-byte stub that pushes an error code (0 where the CPU pushes none)
# and its vector. The code selector is whatever CS the loader left: the boot GDT stays in use.

idt_init:
        lea     vectors(%rip), %rdx
        lea     idt(%rip), %rdi
        xor     %ecx, %ecx
        mov     %cs, %cx
        shl     $16, %rcx
        mov     $0x8e, %r8d                     # present, DPL 0, 64-bit interrupt gate
        shl     $40, %r8
        or      %r8, %rcx                       # selector and type, the same in every gate
        mov     $256, %r8d
1:      mov     %edx, %eax
        and     $0xffff, %eax                   # offset 15:0
        mov     %rdx, %r9
        shr     $16, %r9
        and     $0xffff, %r9d
        shl     $48, %r9                        # offset 31:16
        or      %r9, %rax
        or      %rcx, %rax
        mov     %rax, (%rdi)
        mov     %rdx, %rax
        shr     $32, %rax                       # offset 63:32
        mov     %rax, 8(%rdi)
        add     $16, %rdx
        add     $16, %rdi
        dec     %r8d
        jnz     1b
        lidt    idtr(%rip)
        ret

# Both 8259As: edge triggered, cascaded on IR2, vectors 0x20-0x27 and 0x28-0x2f, everything masked but IRQ 0 and
# IRQ 9 (the SCI) through the cascade.
pic_init:
        mov     $0xff, %al
        outb    %al, $PIC1_DATA
        outb    %al, $PIC2_DATA
        mov     $0x11, %al                      # ICW1: edge, cascade, ICW4 follows
        outb    %al, $PIC1_CMD
        outb    %al, $PIC2_CMD
        mov     $IRQ0_VECTOR, %al               # ICW2
        outb    %al, $PIC1_DATA
        mov     $IRQ0_VECTOR + 8, %al
        outb    %al, $PIC2_DATA
        mov     $0x04, %al                      # ICW3: the slave is on IR2 ...
        outb    %al, $PIC1_DATA
        mov     $0x02, %al                      # ... and knows it
        outb    %al, $PIC2_DATA
        mov     $0x01, %al                      # ICW4: 8086 mode, normal EOI
        outb    %al, $PIC1_DATA
        outb    %al, $PIC2_DATA
        mov     $0xfa, %al                      # OCW1: IRQ 0 and the cascade ...
        outb    %al, $PIC1_DATA
        mov     $0xfd, %al                      # ... and IRQ 9
        outb    %al, $PIC2_DATA
        ret

# The power button's status cleared (write 1 to clear), then its event enabled: a press raises the SCI.
acpi_init:
        mov     $PWRBTN, %ax
        mov     $PM1_STS, %dx
        outw    %ax, %dx
        mov     $PM1_EN, %dx
        outw    %ax, %dx
        ret

# Counter 0, mode 2 (rate generator), binary, LSB then MSB.
pit_init:
        mov     $0x34, %al
        outb    %al, $PIT_CONTROL
        mov     $PIT_COUNT & 0xff, %al
        outb    %al, $PIT_COUNTER0
        mov     $PIT_COUNT >> 8, %al
        outb    %al, $PIT_COUNTER0
        ret

        .balign 16
vectors:
        .set    vector, 0
        .rept   256
        .balign 16
        .if (vector == 8) || (vector >= 10 && vector <= 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
        .else
        pushq   $0                              # the CPU pushed no error code for this one
        .endif
        pushq   $vector
        jmp     interrupt_common
        .set    vector, vector + 1
        .endr

# Stack: vector, error code, then the CPU's RIP, CS, RFLAGS, RSP, SS.
interrupt_common:
        push    %rax
        push    %rcx
        push    %rdx
        push    %rsi
        push    %rdi
        push    %r8
        push    %r9
        push    %r10
        push    %r11
        mov     72(%rsp), %rax                  # the vector
        cmp     $BREAKPOINT_VECTOR, %rax
        je      breakpoint
        cmp     $IRQ0_VECTOR, %rax
        jb      unexpected
        cmp     $IRQ0_VECTOR + 16, %rax
        jae     unexpected
        cmp     $IRQ0_VECTOR, %rax
        jne     1f
        incq    irq0_count(%rip)
1:      cmp     $SCI_VECTOR, %rax
        jne     2f
        mov     $PM1_STS, %dx
        inw     %dx, %ax
        test    $PWRBTN, %ax
        jz      2f                              # another event: nothing else is enabled, so none is ours
        lea     msg_power_button(%rip), %rsi
        call    puts
        mov     $S5_SLEEP, %ax
        mov     $PM1_CNT, %dx
        outw    %ax, %dx                        # soft-off: the VMM ends the VM here
        cli
5:      hlt
        jmp     5b
2:      cmp     $IRQ0_VECTOR + 7, %rax          # spurious IRQ 7: nothing is in service, no EOI
        je      4f
        cmp     $IRQ0_VECTOR + 15, %rax         # spurious IRQ 15: only the master's IR2 is in service
        je      3f
        cmp     $IRQ0_VECTOR + 8, %rax
        jb      3f
        mov     $PIC_EOI, %al
        outb    %al, $PIC2_CMD
3:      mov     $PIC_EOI, %al
        outb    %al, $PIC1_CMD
interrupt_return:
4:      pop     %r11
        pop     %r10
        pop     %r9
        pop     %r8
        pop     %rdi
        pop     %rsi
        pop     %rdx
        pop     %rcx
        pop     %rax
        add     $16, %rsp                       # vector and error code
        iretq

# INT3 is a trap: the saved RIP is already past it, so returning resumes the code after it.
breakpoint:
        lea     msg_breakpoint(%rip), %rsi
        call    puts
        jmp     interrupt_return

unexpected:
        mov     %rax, %rbx
        lea     msg_unexpected(%rip), %rsi
        call    puts
        mov     %rbx, %rax
        call    putdec
        lea     msg_newline(%rip), %rsi
        call    puts
        mov     $2, %al
        jmp     power_off

# ---------------------------------------------------------------------------------------------------------------

        .section .rodata
msg_booted:     .asciz "corral ticker: booted\r\n"
msg_booted_end:
msg_lsr:        .asciz "corral ticker: lsr "
msg_space:      .asciz " "
msg_tick:       .asciz "tick "
msg_newline:    .asciz "\r\n"
msg_crashing:   .asciz "corral ticker: crashing (triple fault)\r\n"
msg_unexpected: .asciz "corral ticker: unexpected vector "
msg_breakpoint: .asciz "corral ticker: breakpoint\r\n"
msg_fwait:      .asciz "corral ticker: fwait\r\n"
msg_power_button: .asciz "corral ticker: power button\r\n"
word_ticks:     .asciz "ticks="
word_interval:  .asciz "interval="
word_crash:     .asciz "crash"
word_int3:      .asciz "int3"
word_busy:      .asciz "busy"
word_rep:       .asciz "rep"
word_fwait:     .asciz "fwait"

        .balign 8
idtr:
        .word   256 * 16 - 1
        .quad   idt
empty_idtr:
        .word   0
        .quad   0

        .section .data
        .balign 8
interval_ms:    .quad 1000

        .section .bss
        .balign 4096
__bss_start:
idt:            .skip 256 * 16
irq0_count:     .skip 8                         # IRQ 0s taken
next_tick_at:   .skip 8                         # the IRQ 0 count at which the next tick is due
ticks_per_interval: .skip 8
ticks:          .skip 8                         # ticks printed
max_ticks:      .skip 8                         # ticks=N, 0 for none
crash:          .skip 1
int3:           .skip 1
busy:           .skip 1
rep:            .skip 1
fwait:          .skip 1
lsr_bytes:      .skip 2
decimal:        .skip 23
decimal_end:    .skip 1
        .balign 16
stack:          .skip 16384
stack_top:
