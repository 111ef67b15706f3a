# The smp test guest: proves a VMM runs every vCPU and starts the application processors (APs) the architectural
# way. The bootstrap processor (BSP) takes the Linux boot protocol's 64-bit entry, reads its local APIC id, copies a
# real-mode trampoline below 1 MiB and sends INIT, SIPI, SIPI to all other CPUs through its local APIC's ICR. Each AP
# wakes in real mode at the trampoline, goes to long mode on the boot page tables, reads its own APIC id and prints
# it on COM1, in APIC id order (each waits for its turn), so the console output is the same on every run and every
# VMM. When all have reported, the BSP prints the count and powers off. Nothing uses interrupts.
#
# Command line (boot_params.hdr.cmd_line_ptr): cpus=N, the CPUs to expect (default 1, at most 64; APIC ids 0..N-1).
# Console, for cpus=2:
#   corral smp: booted on apic id 0
#   corral smp: apic id 1 up
#   corral smp: 2 of 2 CPUs up
# If not all APs report within a bounded wait, the last line says how many did and the exit code is 3.
# Power off: 0 to the debug-exit port 0x501, then the i8042 reset line.

        .set COM1, 0x3f8
        .set COM1_LSR, COM1 + 5
        .set LSR_THRE, 0x20
        .set DEBUG_EXIT, 0x501
        .set I8042_COMMAND, 0x64
        .set BP_CMD_LINE_PTR, 0x228
        .set BP_EXT_CMD_LINE_PTR, 0x0c8
        .set LAPIC, 0xfee00000                  # above 2 GiB: addressed through a register (R14), not a disp32
        .set LAPIC_ID, 0x20
        .set LAPIC_ICR_LOW, 0x300
        .set LAPIC_ICR_HIGH, 0x310
        .set ICR_PENDING, 1 << 12
        .set ICR_INIT_ALL_BUT_SELF, 0x000c4500   # shorthand all-excluding-self, level assert, INIT
        .set ICR_SIPI_ALL_BUT_SELF, 0x000c4600   # shorthand all-excluding-self, level assert, start-up
        .set TRAMPOLINE, 0x10000                 # free low memory (below the command line at 0x20000)
        .set MAX_CPUS, 64
        .set AP_STACK, 4096
        .set WAIT_ROUNDS, 2000000                # the BSP's bound on waiting for the APs (seconds even when emulated)

# ---------------------------------------------------------------------------------------------------------------
# Boot sector and setup header (Documentation/arch/x86/boot.rst): only the 64-bit entry is supported.

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
        .long   syssize                 # syssize
        .word   0                       # ram_size
        .word   0                       # vid_mode
        .word   0                       # root_dev
        .word   0xaa55                  # boot_flag
        .org    0x200
        .byte   0xeb                    # jump over the header
        .byte   setup_end - 0x202
        .ascii  "HdrS"
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
        .byte   0                       # relocatable_kernel: runs at 1 MiB
        .byte   21                      # min_alignment
        .word   0x0001                  # xloadflags: XLF_KERNEL_64
        .long   2047                    # cmdline_size
        .long   0                       # hardware_subarch
        .quad   0                       # hardware_subarch_data
        .long   0                       # payload_offset
        .long   0                       # payload_length
        .quad   0                       # setup_data
        .quad   0x100000                # pref_address
        .long   init_size               # init_size
        .long   0                       # handover_offset
        .long   0                       # kernel_info_offset
setup_end:
        cli
1:      hlt
        jmp     1b

# ---------------------------------------------------------------------------------------------------------------
# The kernel at 1 MiB; the 64-bit entry at +0x200: long mode, identity paging, interrupts off, RSI = boot_params.

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
        lea     bsp_stack_top(%rip), %rsp
        mov     %rsi, %r15
        lea     __bss_start(%rip), %rdi
        lea     _bss_end(%rip), %rcx
        sub     %rdi, %rcx
        xor     %eax, %eax
        rep stosb

        mov     $LAPIC, %r14d
        call    serial_init
        call    parse_cmdline
        lea     msg_booted(%rip), %rsi
        call    puts
        call    apic_id
        call    putdec
        lea     msg_newline(%rip), %rsi
        call    puts
        movl    $1, up(%rip)                    # the BSP itself
        movl    $1, turn(%rip)                  # APIC id 1 reports first
        cmpl    $1, cpus(%rip)
        jbe     report

        # The trampoline, with the page tables to use (ours, the loader's identity map) and where to go in long mode.
        lea     trampoline(%rip), %rsi
        mov     $TRAMPOLINE, %edi
        mov     $trampoline_end - trampoline, %ecx
        rep movsb
        mov     %cr3, %rax
        mov     %eax, TRAMPOLINE + (tramp_cr3 - trampoline)
        lea     ap_main(%rip), %rax
        mov     %rax, TRAMPOLINE + (tramp_entry - trampoline)

        movl    $0, LAPIC_ICR_HIGH(%r14)
        movl    $ICR_INIT_ALL_BUT_SELF, LAPIC_ICR_LOW(%r14)
        call    icr_wait
        mov     $10000, %ecx                    # a pause between INIT and the first SIPI, as the MP spec asks
        call    delay
        movl    $ICR_SIPI_ALL_BUT_SELF | (TRAMPOLINE >> 12), LAPIC_ICR_LOW(%r14)
        call    icr_wait
        mov     $200, %ecx
        call    delay
        movl    $ICR_SIPI_ALL_BUT_SELF | (TRAMPOLINE >> 12), LAPIC_ICR_LOW(%r14)
        call    icr_wait

        mov     $WAIT_ROUNDS, %ecx
1:      mov     up(%rip), %eax
        cmp     cpus(%rip), %eax
        jae     report
        pause
        dec     %ecx
        jnz     1b

report:
        lea     msg_prefix(%rip), %rsi
        call    puts
        mov     up(%rip), %eax
        call    putdec
        lea     msg_of(%rip), %rsi
        call    puts
        mov     cpus(%rip), %eax
        call    putdec
        lea     msg_up(%rip), %rsi
        call    puts
        xor     %eax, %eax
        mov     up(%rip), %ecx
        cmp     cpus(%rip), %ecx
        je      power_off
        mov     $3, %al

# Powers off with status AL: the debug-exit port for test VMMs, the i8042 reset line for the rest.
power_off:
        mov     $DEBUG_EXIT, %dx
        outb    %al, %dx
        mov     $0xfe, %al
        outb    %al, $I8042_COMMAND
halt_forever:
        cli
1:      hlt
        jmp     1b

# EAX = this CPU's local APIC id.
apic_id:
        mov     LAPIC_ID(%r14), %eax
        shr     $24, %eax
        ret

# Waits until the local APIC has sent the IPI in its ICR.
icr_wait:
        pause
        testl   $ICR_PENDING, LAPIC_ICR_LOW(%r14)
        jnz     icr_wait
        ret

# Spins ECX rounds.
delay:
        pause
        dec     %ecx
        jnz     delay
        ret

# An AP in long mode, on the boot page tables, with no stack yet: take the stack of our APIC id, wait for our turn,
# say we are up, let the next one speak, and halt for good.
ap_main:
        mov     $0x10, %eax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $LAPIC, %r14d
        mov     LAPIC_ID(%r14), %ebx
        shr     $24, %ebx
        cmp     $MAX_CPUS, %ebx
        jae     halt_forever
        lea     ap_stacks(%rip), %rsp
        mov     %ebx, %eax
        inc     %eax
        shl     $12, %eax                       # AP_STACK
        add     %rax, %rsp
1:      mov     turn(%rip), %eax
        cmp     %ebx, %eax
        je      2f
        pause
        jmp     1b
2:      lea     msg_apic(%rip), %rsi
        call    puts
        mov     %ebx, %eax
        call    putdec
        lea     msg_ap_up(%rip), %rsi
        call    puts
        lock incl up(%rip)
        lock incl turn(%rip)
        jmp     halt_forever

# ---------------------------------------------------------------------------------------------------------------
# The AP trampoline, copied to TRAMPOLINE (the SIPI vector is TRAMPOLINE >> 12): real mode, CS = TRAMPOLINE >> 4,
# IP = 0. Straight to long mode, as the ticker's setup code does: PAE, the BSP's CR3, EFER.LME, then PG and PE at
# once, and a far jump to 64-bit code.

        .balign 16
trampoline:
        .code16
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   tramp_gdtr - trampoline
        mov     %cr4, %eax
        or      $0x20, %eax                     # PAE
        mov     %eax, %cr4
        mov     tramp_cr3 - trampoline, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx               # EFER.LME
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000001, %eax               # PG and PE
        mov     %eax, %cr0
        ljmpl   *(tramp_far - trampoline)
        .code64
tramp_long_mode:
        jmp     *(TRAMPOLINE + tramp_entry - trampoline)
        .balign 8
tramp_gdt:
        .quad   0
        .quad   0x00af9a000000ffff              # 0x08: 64-bit code
        .quad   0x00cf92000000ffff              # 0x10: flat data
tramp_gdtr:
        .word   3 * 8 - 1
        .long   TRAMPOLINE + tramp_gdt - trampoline
tramp_far:
        .long   TRAMPOLINE + tramp_long_mode - trampoline
        .word   0x08
        .balign 4
tramp_cr3:
        .long   0                               # filled in by the BSP
        .balign 8
tramp_entry:
        .quad   0                               # ap_main, filled in by the BSP
trampoline_end:

# ---------------------------------------------------------------------------------------------------------------
# COM1, polled.

serial_init:
        mov     $COM1 + 1, %dx
        xor     %al, %al
        outb    %al, %dx
        mov     $COM1 + 3, %dx
        mov     $0x80, %al
        outb    %al, %dx
        mov     $COM1, %dx
        mov     $1, %al
        outb    %al, %dx
        mov     $COM1 + 1, %dx
        xor     %al, %al
        outb    %al, %dx
        mov     $COM1 + 3, %dx
        mov     $0x03, %al
        outb    %al, %dx
        ret

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

# Writes EAX in decimal, with a buffer on the stack (APs print too).
putdec:
        push    %rbx
        sub     $16, %rsp
        lea     15(%rsp), %rsi
        movb    $0, (%rsi)
        mov     %eax, %eax
        mov     $10, %ebx
1:      xor     %edx, %edx
        div     %rbx
        add     $'0', %dl
        dec     %rsi
        mov     %dl, (%rsi)
        test    %rax, %rax
        jnz     1b
        call    puts
        add     $16, %rsp
        pop     %rbx
        ret

# cpus=N from the command line (default 1, capped at MAX_CPUS).
parse_cmdline:
        movl    $1, cpus(%rip)
        mov     BP_CMD_LINE_PTR(%r15), %esi
        mov     BP_EXT_CMD_LINE_PTR(%r15), %eax
        shl     $32, %rax
        or      %rax, %rsi
        test    %rsi, %rsi
        jz      3f
1:      mov     (%rsi), %al
        test    %al, %al
        jz      3f
        cmpl    $0x73757063, (%rsi)             # "cpus"
        jne     2f
        cmpb    $'=', 4(%rsi)
        jne     2f
        add     $5, %rsi
        xor     %eax, %eax
4:      movzbl  (%rsi), %ecx
        sub     $'0', %ecx
        cmp     $9, %ecx
        ja      5f
        imul    $10, %eax, %eax
        add     %ecx, %eax
        inc     %rsi
        jmp     4b
5:      test    %eax, %eax
        jz      3f
        cmp     $MAX_CPUS, %eax
        jbe     6f
        mov     $MAX_CPUS, %eax
6:      mov     %eax, cpus(%rip)
        jmp     1b
2:      inc     %rsi
        jmp     1b
3:      ret

        .section .rodata
msg_prefix:     .asciz "corral smp: "
msg_booted:     .asciz "corral smp: booted on apic id "
msg_apic:       .asciz "corral smp: apic id "
msg_ap_up:      .asciz " up\r\n"
msg_of:         .asciz " of "
msg_up:         .asciz " CPUs up\r\n"
msg_newline:    .asciz "\r\n"

        .section .bss
        .balign 4096
__bss_start:
cpus:           .skip 4
up:             .skip 4                         # CPUs that have reported, the BSP included
turn:           .skip 4                         # the APIC id whose turn it is to report
        .balign 16
bsp_stack:      .skip 16384
bsp_stack_top:
ap_stacks:      .skip AP_STACK * MAX_CPUS
