# A firmware image for differential tests of real, protected and compatibility mode: QEMU runs it as its BIOS
# (-bios: the CPU leaves reset at F000:FFF0, which jumps to F000:0000), Corral's CPU as an application processor
# started by SIPI vector 0xF0 at F000:0000 with the image at 0xF0000. It computes, prints every result to COM1 in
# hex (only what the manual defines: undefined flags are masked), walks real mode -> 16/32-bit protected mode ->
# PAE -> long mode -> compatibility mode and back, and ends with a write of 0 to the isa-debug-exit port 0x501.
#
# Layout: the code and constants in the image (read-only in QEMU), data at 0x10000 (DS = 0x1000 in real mode),
# a real-mode stack at 0x2000:0xfff0, the GDT copied to 0x30000, the IDT at 0x31000, page tables at 0x40000.

        .set COM1, 0x3f8
        .set FLAGS_DEFINED, 0x8d5               # CF PF AF ZF SF OF
        .set ROM, 0xf0000
        .set DATA, 0x10000
        .set GDT, 0x30000
        .set IDT, 0x31000
        .set PML4, 0x40000

        .code16
        .globl start
start:
        cli
        cld
        mov     $0xff, %al                      # mask both PICs: nothing may interrupt the run
        out     %al, $0x21
        out     %al, $0xa1
        mov     $0x1000, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     $0x2000, %ax
        mov     %ax, %ss
        mov     $0xfff0, %sp
        xor     %ax, %ax
        mov     %ax, %fs
        mov     %ax, %gs

# ---- 1. 16-bit arithmetic and its flags --------------------------------------------------------------------------
        mov     $'A', %al
        call    tag16
        mov     $0x7ff0, %ax
        add     $0x0020, %ax                    # signed overflow
        call    res16
        mov     $0x0001, %ax
        sub     $0x0002, %ax                    # borrow
        call    res16
        stc
        mov     $0x1234, %ax
        adc     $0xedcb, %ax                    # carry in, zero out
        call    res16
        stc
        mov     $0x0000, %ax
        sbb     $0x0000, %ax
        call    res16
        mov     $0x8000, %ax
        neg     %ax
        call    res16
        mov     $0x00ff, %ax
        inc     %al                             # INC keeps CF
        call    res16
        mov     $0x1234, %bx
        mov     $0x5678, %cx
        mov     %bx, %ax
        xor     %cx, %ax
        call    res16
        mov     $0xf00f, %ax
        and     $0x0ff0, %ax
        call    res16
        mov     $0x8001, %ax
        shl     $1, %ax                         # count 1: OF defined (AF is not, after a shift)
        call    res16_shift
        mov     $0x8001, %ax
        sar     $1, %ax
        call    res16_shift
        mov     $0x1234, %ax
        mov     $0x100, %cx
        mul     %cx                             # DX:AX; CF and OF defined
        pushf
        call    hex16
        mov     %dx, %ax
        call    hex16
        popf
        pushf
        pop     %ax
        and     $0x801, %ax
        call    hex16
        mov     $1000, %ax
        cwd
        mov     $7, %cx
        idiv    %cx
        call    hex16
        mov     %dx, %ax
        call    hex16
        call    nl16

# ---- 2. every 16-bit ModRM form, with DS and SS, overrides and wrap-around -------------------------------------
        mov     $'B', %al
        call    tag16
        mov     $0x3000, %ax                    # SS-relative table at 0x30000 + ...: write a pattern there
        mov     %ax, %fs
        xor     %di, %di
        mov     $0x1000, %cx
1:      mov     %di, %ax
        imul    $0x9e37, %ax, %ax
        xor     $0x5a5a, %ax
        mov     %ax, (%di)                      # DS: at 0x10000
        add     $0x1111, %ax
        mov     %ax, %fs:(%di)                  # at 0x30000
        add     $2, %di
        loop    1b
        mov     %ss, 0x3000                     # (outside the pattern)
        mov     $0x3000, %ax
        mov     %ax, %ss
        mov     $0x0100, %bx
        mov     $0x0020, %si
        mov     $0x0040, %di
        mov     $0x0300, %bp
        mov     (%bx,%si), %ax
        mov     %ax, %dx
        call    hex16
        mov     2(%bx,%di), %ax
        call    hex16
        mov     -4(%bp,%si), %ax
        call    hex16
        mov     0x123(%bp,%di), %ax
        call    hex16
        mov     (%si), %ax
        call    hex16
        mov     (%di), %ax
        call    hex16
        mov     0x0444, %ax
        call    hex16
        mov     7(%bp), %ax
        call    hex16
        mov     (%bx), %ax
        call    hex16
        mov     %ds:(%bp), %ax
        call    hex16
        mov     %ss:(%bx), %ax
        call    hex16
        mov     $0xfff0, %bx
        mov     0x20(%bx), %ax                  # wraps to offset 0x10
        call    hex16
        lea     0x20(%bx,%si), %ax
        call    hex16
        mov     0x3000, %ss
        mov     $0x10, %ebx                     # 32-bit addressing in real mode (67)
        mov     $3, %ecx
        mov     0x20(%ebx,%ecx,4), %eax
        call    hex16
        call    nl16

# ---- 3. BCD, XLAT, PUSHA/POPA, ENTER/LEAVE, far pointers ---------------------------------------------------------
        mov     $'C', %al
        call    tag16
        mov     $0x79, %al
        add     $0x35, %al
        daa
        pushf
        call    hex16
        popf
        call    flags_cazsp16
        mov     $0x35, %al
        sub     $0x79, %al
        das
        pushf
        call    hex16
        popf
        call    flags_cazsp16
        mov     $0x0109, %ax
        add     $0x08, %al
        aaa
        pushf
        call    hex16
        popf
        pushf
        pop     %ax
        and     $0x11, %ax                      # AAA defines only AF and CF
        call    hex16
        mov     $0x0203, %ax
        sub     $0x05, %al
        aas
        call    hex16
        mov     $77, %al
        aam
        pushf
        call    hex16
        popf
        call    flags_szp16
        mov     $0x0705, %ax
        aad
        pushf
        call    hex16
        popf
        call    flags_szp16
        mov     $0x0010, %bx
        mov     $0x05, %al
        xlat                                    # DS:[BX + AL]
        call    hex16
        mov     $0x1111, %ax
        mov     $0x2222, %cx
        mov     $0x3333, %dx
        mov     $0x4444, %bx
        mov     $0x5555, %bp
        mov     $0x6666, %si
        mov     $0x7777, %di
        pusha
        mov     %sp, %bp
        mov     10(%bp), %ax                    # the pushed DX
        call    hex16
        mov     6(%bp), %ax                     # the pushed SP: as before PUSHA
        call    hex16
        xor     %ax, %ax
        mov     %ax, %dx
        popa
        mov     %dx, %ax
        call    hex16
        mov     %sp, %ax
        call    hex16
        mov     %sp, %si
        enter   $8, $0
        mov     %bp, %ax
        sub     %sp, %ax
        call    hex16
        leave
        mov     %sp, %ax
        sub     %si, %ax
        call    hex16
        enter   $4, $2                          # a nesting level copies the frame pointers
        mov     %bp, %ax
        sub     %sp, %ax
        call    hex16
        leave
        movw    $0xabcd, 0x200
        movw    $0x1234, 0x202
        les     0x200, %bx
        mov     %es, %ax
        call    hex16
        mov     %bx, %ax
        call    hex16
        push    %ds
        pop     %es
        call    nl16

# ---- 4. strings ----------------------------------------------------------------------------------------------
        mov     $'D', %al
        call    tag16
        mov     $0x100, %si
        mov     $0x800, %di
        mov     $37, %cx
        rep movsb
        mov     %si, %ax
        call    hex16
        mov     %di, %ax
        call    hex16
        mov     $0x900, %di
        mov     $0xbeef, %ax
        mov     $5, %cx
        rep stosw
        mov     0x908, %ax
        call    hex16
        std
        mov     $0x90a, %si                     # backwards: the last word first
        lodsw
        call    hex16
        mov     %si, %ax
        call    hex16
        cld
        mov     $0x100, %si
        mov     $0x800, %di
        mov     $40, %cx
        repe cmpsb                              # equal for 37 bytes
        pushf
        mov     %cx, %ax
        call    hex16
        popf
        call    flags16
        mov     $0x900, %di
        mov     $0xbeef, %ax
        mov     $9, %cx
        repne scasw                             # found at once
        mov     %cx, %ax
        call    hex16
        call    nl16

# ---- 5. branches, far calls, the IVT ------------------------------------------------------------------------
        mov     $'E', %al
        call    tag16
        xor     %ax, %ax
        mov     $10, %cx
1:      add     %cx, %ax
        loop    1b
        call    hex16
        mov     $3, %cx
        mov     $0, %ax
1:      inc     %ax
        cmp     $2, %ax
        loopne  1b
        call    hex16
        mov     %cx, %ax
        call    hex16
        xor     %cx, %cx
        jcxz    1f
        mov     $0xdead, %ax
1:      call    hex16
        lcall   $(ROM >> 4), $farproc           # 16-bit far call and RETF 2
        call    hex16
        push    $0x4242
        lcalll  $(ROM >> 4), $farproc32         # 32-bit far call (66 9A), RETF
        call    hex16
        pop     %ax
        call    hex16
        push    %ds
        xor     %ax, %ax
        mov     %ax, %ds
        movw    $int_handler, 0x60 * 4
        movw    $(ROM >> 4), 0x60 * 4 + 2
        movw    $de_handler, 0
        movw    $(ROM >> 4), 2
        movw    $of_handler, 4 * 4
        movw    $(ROM >> 4), 4 * 4 + 2
        pop     %ds
        mov     $0x1357, %bx
        int     $0x60
        call    hex16                           # the handler's AX: the pushed FLAGS & 0x202 (IF clear)
        mov     %bx, %ax
        call    hex16
        mov     $0x7f, %al
        add     $1, %al                         # OF
        into
        call    hex16
        xor     %cx, %cx
        mov     $5, %ax
        xor     %dx, %dx
de_at:  div     %cx                             # #DE: the handler skips it
        call    hex16
        call    nl16

# ---- 6. into protected mode ------------------------------------------------------------------------------------
        mov     $'F', %al
        call    tag16
        mov     $GDT >> 4, %ax                  # copy the GDT from the ROM into RAM
        mov     %ax, %es
        xor     %di, %di
        mov     $gdt, %si
        mov     $(gdt_end - gdt), %cx
        rep movsb %cs:(%si), %es:(%di)
        push    %ds
        pop     %es
        lgdtl   %cs:gdtr
        lidtl   %cs:idtr
        mov     %cr0, %eax
        or      $1, %eax
        mov     %eax, %cr0
        ljmp    $0x18, $pm16                    # 16-bit protected mode, code at the ROM's base
pm16:
        mov     $0x20, %ax                      # 16-bit data over DATA
        mov     %ax, %ds
        mov     (%si), %ax                      # DS now has a descriptor base: the same bytes
        call    hex16
        str     %ax
        call    hex16
        smsw    %ax
        and     $0x1f, %ax
        call    hex16
        ljmpl   $0x08, $(ROM + pm32)

        .code32
pm32:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        mov     $0x90000, %esp
        call    nl32
        mov     $'G', %al
        call    tag32
        mov     $IDT, %edi                      # every gate: a catch-all that reports the vector
        xor     %ecx, %ecx
1:      lea     ROM + stubs(,%ecx,8), %eax
        mov     %ax, (%edi,%ecx,8)
        movw    $0x08, 2(%edi,%ecx,8)
        movw    $0x8e00, 4(%edi,%ecx,8)
        shr     $16, %eax
        mov     %ax, 6(%edi,%ecx,8)
        inc     %ecx
        cmp     $32, %ecx
        jne     1b
        movl    $(ROM + after_np), resume
        ljmp    $0x40, $0                       # not present: #NP(0x40)
after_np:
        movl    $(ROM + after_gp), resume
        ljmp    $0x10, $0                       # data: #GP(0x10)
after_gp:
        movl    $(ROM + after_ud), resume
        ud2
after_ud:
        movl    $(ROM + after_bp), resume
        int3
after_bp:
        mov     $0x13572468, %eax
        bswap   %eax
        call    hex32
        mov     $0x80000000, %eax
        bsr     %eax, %ecx
        mov     %ecx, %eax
        call    hex32
        movl    $0x11111111, %eax
        movl    $0x22222222, %ebx
        cmpxchg %ebx, %eax                      # equal: EAX to... no, the destination
        call    hex32
        pushfl
        popl    %eax
        and     $FLAGS_DEFINED, %eax
        call    hex32
        mov     $0x28, %ax                      # ES from the GDT
        mov     %ax, %es
        mov     %es, %eax
        call    hex32
        mov     $0x10, %ax
        mov     %ax, %es
        call    nl32

# ---- 7. PAE, long mode, compatibility mode --------------------------------------------------------------------
        mov     $'H', %al
        call    tag32
        mov     $PML4, %edi                     # clear 4 pages of tables
        xor     %eax, %eax
        mov     $4096, %ecx
        rep stosl
        movl    $PML4 + 0x1003, PML4
        movl    $PML4 + 0x2003, PML4 + 0x1000
        mov     $PML4 + 0x2000, %edi
        mov     $0x83, %eax
        mov     $8, %ecx                        # 16 MiB in 2 MiB pages
1:      mov     %eax, (%edi)
        add     $0x200000, %eax
        add     $8, %edi
        loop    1b
        mov     %cr4, %eax
        or      $0x20, %eax
        mov     %eax, %cr4
        mov     $PML4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0                      # compatibility mode
        mov     $0xc0000080, %ecx
        rdmsr
        and     $0x500, %eax
        call    hex32                           # LME and LMA
        ljmp    $0x30, $(ROM + lm64)

        .code64
lm64:
        mov     $0x1122334455667788, %rax
        call    hex64
        lea     lm64(%rip), %rax
        call    hex64
        mov     $0x42, %r9
        push    %r9
        pop     %rax
        call    hex64
        movq    $(ROM + compat), farptr
        movw    $0x08, farptr + 4
        lcall   *farptr                         # into compatibility mode and back
        mov     %eax, %eax
        call    hex64
        mov     %cs, %eax
        call    hex64
        call    nl64
        mov     $'Z', %al
        call    tag64
        call    nl64
        mov     $0x501, %dx
        xor     %eax, %eax
        out     %ax, %dx                        # the end: QEMU exits with 1
        cli
1:      hlt
        jmp     1b

        .code32
compat:
        mov     %cs, %eax
        shl     $16, %eax
        .byte   0x40                            # INC EAX
        lret

# ---- handlers and print routines ------------------------------------------------------------------------------
        .code16
farproc:
        mov     %cs, %ax
        lret    $0
farproc32:
        mov     %sp, %bp
        mov     8(%bp), %ax                     # past the 32-bit return EIP and CS: our argument
        lretl
int_handler:
        mov     %sp, %bp
        mov     4(%bp), %ax                     # pushed FLAGS
        and     $0x202, %ax
        not     %bx
        iret
of_handler:
        mov     $0x0f0f, %ax
        iret
de_handler:
        mov     %sp, %bp
        mov     (%bp), %ax                      # the pushed IP: the DIV
        sub     $de_at, %ax
        addw    $2, (%bp)
        iret

tag16:                                          # prints AL and a colon
        push    %dx
        mov     $COM1, %dx
        out     %al, %dx
        mov     $':', %al
        out     %al, %dx
        pop     %dx
        ret
nl16:
        push    %ax
        push    %dx
        mov     $COM1, %dx
        mov     $'\n', %al
        out     %al, %dx
        pop     %dx
        pop     %ax
        ret
res16:                                          # AX and the defined flags
        pushf
        call    hex16
        popf
flags16:
        pushf
        push    %ax
        pushf
        pop     %ax
        and     $FLAGS_DEFINED, %ax
        call    hex16
        pop     %ax
        popf
        ret
res16_shift:                                    # AX and the flags a shift defines: CF PF ZF SF OF
        pushf
        call    hex16
        pop     %ax
        and     $0x8c5, %ax
        jmp     hex16
flags_cazsp16:                                  # CF AF ZF SF PF (DAA, DAS)
        pushf
        pop     %ax
        and     $0xd5, %ax
        jmp     hex16
flags_szp16:
        pushf
        pop     %ax
        and     $0xc4, %ax
        jmp     hex16
hex16:                                          # AX as four hex digits and a space
        pushal
        mov     %ax, %bx
        mov     $4, %cx
        mov     $COM1, %dx
1:      rol     $4, %bx
        mov     %bl, %al
        and     $0xf, %al
        add     $'0', %al
        cmp     $'9', %al
        jbe     2f
        add     $7, %al
2:      out     %al, %dx
        loop    1b
        mov     $' ', %al
        out     %al, %dx
        popal
        ret

        .code32
        .balign 8
stubs:                                          # 8 bytes per vector: push the vector, go to common
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        pushl   $\v
        jmp     common
        .balign 8, 0x90
        .endr
common:
        mov     (%esp), %eax                    # the vector
        call    hex32
        mov     (%esp), %eax
        cmp     $8, %eax                        # with an error code: 8, 10-14, 17
        je      1f
        cmp     $17, %eax
        je      1f
        cmp     $10, %eax
        jb      2f
        cmp     $14, %eax
        ja      2f
1:      mov     4(%esp), %eax
        call    hex32
        mov     resume, %eax
        mov     %eax, 8(%esp)                   # the return EIP, past the error code
        add     $4, %esp
        jmp     3f
2:      mov     resume, %eax
        mov     %eax, 4(%esp)
3:      add     $4, %esp
        iret

tag32:
        push    %edx
        mov     $COM1, %dx
        out     %al, %dx
        mov     $':', %al
        out     %al, %dx
        pop     %edx
        ret
nl32:
        push    %eax
        push    %edx
        mov     $COM1, %dx
        mov     $'\n', %al
        out     %al, %dx
        pop     %edx
        pop     %eax
        ret
hex32:                                          # EAX as eight hex digits and a space
        pushal
        mov     %eax, %ebx
        mov     $8, %ecx
        mov     $COM1, %dx
1:      rol     $4, %ebx
        mov     %bl, %al
        and     $0xf, %al
        add     $'0', %al
        cmp     $'9', %al
        jbe     2f
        add     $7, %al
2:      out     %al, %dx
        loop    1b
        mov     $' ', %al
        out     %al, %dx
        popal
        ret

        .code64
tag64:
        mov     $COM1, %dx
        out     %al, %dx
        mov     $':', %al
        out     %al, %dx
        ret
nl64:
        mov     $COM1, %dx
        mov     $'\n', %al
        out     %al, %dx
        ret
hex64:                                          # RAX as sixteen hex digits and a space
        push    %rbx
        push    %rcx
        push    %rdx
        mov     %rax, %rbx
        mov     $16, %ecx
        mov     $COM1, %dx
1:      rol     $4, %rbx
        mov     %bl, %al
        and     $0xf, %al
        add     $'0', %al
        cmp     $'9', %al
        jbe     2f
        add     $7, %al
2:      out     %al, %dx
        loop    1b
        mov     $' ', %al
        out     %al, %dx
        pop     %rdx
        pop     %rcx
        pop     %rbx
        ret

# ---- tables ---------------------------------------------------------------------------------------------------
        .balign 8
gdt:
        .quad   0
        .quad   0x00cf9b000000ffff              # 0x08 flat 32-bit code
        .quad   0x00cf93000000ffff              # 0x10 flat data
        .quad   0x00009b0f0000ffff              # 0x18 16-bit code at the ROM (base 0xf0000)
        .quad   0x000093010000ffff              # 0x20 16-bit data at DATA (base 0x10000)
        .quad   0x00cff3000000ffff              # 0x28 flat data, DPL 3
        .quad   0x00af9b000000ffff              # 0x30 64-bit code
        .quad   0x0000890000000067              # 0x38 a 32-bit TSS at 0 (never loaded)
        .quad   0x00cf1b000000ffff              # 0x40 not present
gdt_end:
gdtr:
        .short  gdt_end - gdt - 1
        .long   GDT
idtr:
        .short  32 * 8 - 1
        .long   IDT

        .set resume, DATA + 0xf000              # where the catch-all handler resumes
        .set farptr, DATA + 0xf010

# ---- the reset vector -------------------------------------------------------------------------------------------
        .code16
        .org    0xfff0
        ljmp    $0xf000, $start
        .org    0x10000
