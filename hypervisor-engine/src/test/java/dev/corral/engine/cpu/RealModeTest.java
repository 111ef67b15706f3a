package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.sys.Segments;

/** Real mode on an application processor: 16-bit addressing, segments as selector &lt;&lt; 4, the IVT, INIT/SIPI. */
class RealModeTest {

    /** The byte the tests put at physical address {@code a} before the guest starts. */
    private static int pattern(long a) {
        return (int) ((a * 31 + (a >>> 8) * 7 + 5) & 0xff);
    }

    private static int word(long a) {
        return pattern(a) | pattern(a + 1) << 8;
    }

    private static void fillPattern(LegacyGuest g, long from, long to) {
        for (long a = from; a < to; a++) {
            g.mem.writeByte(a, (byte) pattern(a));
        }
    }

    @Test
    void everySixteenBitModrmFormAddressesItsSegmentAndWrapsAt64KiB() {
        // DS = 0x2000 (base 0x20000), SS = 0x3000 (base 0x30000): BP-based forms use SS, the others DS.
        // Results go to ES:0 (ES = 0x4000), one word per form, in the order of the table below.
        var g = LegacyGuest.start("""
                    mov $0x2000, %ax
                    mov %ax, %ds
                    mov $0x3000, %ax
                    mov %ax, %ss
                    mov $0x4000, %ax
                    mov %ax, %es
                    mov $0x0100, %bx
                    mov $0x0020, %si
                    mov $0x0040, %di
                    mov $0x0300, %bp
                    xor %cx, %cx                    # slot index
                    .macro probe form:vararg
                    mov \\form, %ax
                    mov %cx, %dx
                    shl $1, %dx
                    xchg %dx, %di
                    mov %ax, %es:(%di)
                    xchg %dx, %di
                    inc %cx
                    .endm
                    probe (%bx,%si)
                    probe (%bx,%di)
                    probe (%bp,%si)
                    probe (%bp,%di)
                    probe (%si)
                    probe (%di)
                    probe 0x0555
                    probe (%bx)
                    probe -3(%bx,%si)
                    probe 0x7f(%bx,%di)
                    probe -0x80(%bp,%si)
                    probe 1(%bp,%di)
                    probe 2(%si)
                    probe -4(%di)
                    probe 5(%bp)
                    probe 6(%bx)
                    probe 0x1234(%bx,%si)
                    probe 0x4321(%bx,%di)
                    probe 0x1111(%bp,%si)
                    probe 0x2222(%bp,%di)
                    probe 0x3333(%si)
                    probe 0x4444(%di)
                    probe 0x5555(%bp)
                    probe 0x6666(%bx)
                    probe %es:(%bx)                 # an override
                    probe %ds:(%bp)                 # an override of the SS default
                    mov $0xfff0, %bx
                    probe 0x20(%bx)                 # 0xfff0 + 0x20 wraps to 0x0010
                    movl $0x10000, %eax
                    lea 0x40(%bx,%si), %ax          # LEA computes the 16-bit offset only
                    mov %ax, %es:0x200
                    lea 0x40(%bx,%si), %eax         # ... zero-extended into a 32-bit register
                    mov %eax, %es:0x204
                    hlt
                """);
        try (g) {
            fillPattern(g, 0x20000, 0x30000);
            fillPattern(g, 0x30000, 0x40000);
            fillPattern(g, 0x40100, 0x40102);
            long ds = 0x20000;
            long ss = 0x30000;
            long bx = 0x100;
            long si = 0x20;
            long di = 0x40;
            long bp = 0x300;
            long[] expected = {
                ds + bx + si, ds + bx + di, ss + bp + si, ss + bp + di, ds + si, ds + di, ds + 0x555, ds + bx,
                ds + bx + si - 3, ds + bx + di + 0x7f, ss + bp + si - 0x80, ss + bp + di + 1, ds + si + 2, ds + di - 4,
                ss + bp + 5, ds + bx + 6,
                ds + bx + si + 0x1234, ds + bx + di + 0x4321, ss + bp + si + 0x1111, ss + bp + di + 0x2222,
                ds + si + 0x3333, ds + di + 0x4444, ss + bp + 0x5555, ds + bx + 0x6666,
                0x40000 + bx, ds + bp, ds + 0x10};
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            for (int k = 0; k < expected.length; k++) {
                int got = g.mem.readShort(0x40000 + 2L * k) & 0xffff;
                assertThat(got).as("form %d reads linear 0x%x", k, expected[k]).isEqualTo(word(expected[k]));
            }
            assertThat(g.mem.readShort(0x40200) & 0xffff).isEqualTo(0x0050); // 0xfff0 + 0x20 + 0x40 wraps
            assertThat(g.mem.readInt(0x40204)).isEqualTo(0x0050);
        }
    }

    @Test
    void softwareInterruptsAndExceptionsGoThroughTheIvtAndIretReturns() {
        var g = LegacyGuest.start("""
                    xor %ax, %ax
                    mov %ax, %ds
                    movw $int80, 0x80 * 4           # IVT[0x80] = 0800:int80
                    movw $(BASE >> 4), 0x80 * 4 + 2
                    movw $divide_error, 0           # IVT[0] = 0800:divide_error
                    movw $(BASE >> 4), 2
                    mov $0x5000, %ax
                    mov %ax, %ss
                    mov $0x1000, %sp
                    sti
                    mov $0x1234, %bx
                    int $0x80
                    pushf
                    pop %di                         # FLAGS after IRET: IF back
                    xor %cx, %cx
                    mov $7, %ax
                    xor %dx, %dx
                faulting:
                    div %cx                         # #DE: the handler moves the return IP past it
                    mov %sp, %bp
                    hlt
                int80:
                    mov %sp, %bp
                    mov (%bp), %si                  # pushed IP
                    mov 2(%bp), %ax
                    mov %ax, %es:0x7002             # pushed CS
                    mov 4(%bp), %ax
                    mov %ax, %es:0x7004             # pushed FLAGS
                    pushf
                    pop %ax
                    mov %ax, %es:0x7006             # FLAGS inside: IF and TF cleared
                    iret
                divide_error:
                    push %bp
                    mov %sp, %bp
                    mov 2(%bp), %ax
                    mov %ax, %es:0x7000             # ES is still 0: the faulting IP, for the test
                    addw $2, 2(%bp)                 # skip the two-byte DIV
                    pop %bp
                    iret
                """);
        try (g) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.mem.readShort(0x7002) & 0xffff).as("pushed CS").isEqualTo(0x800);
            assertThat(g.mem.readShort(0x7004) & CpuState.IF).as("pushed FLAGS has IF").isNotZero();
            assertThat(g.mem.readShort(0x7006) & (CpuState.IF | CpuState.TF)).as("IF cleared in the handler").isZero();
            assertThat(g.r(CpuState.RDI) & CpuState.IF).isNotZero();
            assertThat(g.r(CpuState.RBP) & 0xffff).as("the stack is balanced").isEqualTo(0x1000);
            long faulting = g.mem.readShort(0x7000) & 0xffff;
            assertThat(g.mem.readShort(LegacyGuest.BASE + faulting) & 0xffff).as("DIV CX at the pushed IP").isEqualTo(0xf1f7);
            assertThat(g.r(CpuState.RSI) & 0xffff).as("pushed IP: after INT 80").isLessThan(faulting).isGreaterThan(0x20);
            assertThat(g.st.segBase[Segments.SS]).isEqualTo(0x50000);
        }
    }

    @Test
    void aFaultThatTheIvtCannotTakeShutsTheCpuDown() {
        var g = LegacyGuest.start("""
                    lidt idt
                    ud2
                idt:
                    .short 0x17                     # room for vectors 0..5 only: #UD (6) is beyond it
                    .long 0
                """);
        try (g) {
            CpuExit e = g.runToEnd();
            assertThat(e).isInstanceOf(CpuExit.Shutdown.class);
            assertThat(((CpuExit.Shutdown) e).reason()).contains("triple fault").contains("#UD");
        }
    }

    @Test
    void aSegmentLimitOverrunIsGeneralProtectionAndAStackOneIsStackFault() {
        var g = LegacyGuest.start("""
                    xor %ax, %ax
                    mov %ax, %ds
                    movw $gp, 13 * 4
                    movw $(BASE >> 4), 13 * 4 + 2
                    movw $ss_fault, 12 * 4
                    movw $(BASE >> 4), 12 * 4 + 2
                    mov $0x6000, %ax
                    mov %ax, %ss
                    mov $0x800, %sp
                    mov $0xffff, %bx
                    movw (%bx), %ax                 # the second byte is at offset 0x10000: #GP(0)
                    mov $0xffff, %bp
                    movw (%bp), %ax                 # the same through SS: #SS(0)
                    hlt
                gp:
                    mov $13, %si
                    mov $2, %cx                     # MOV AX, [BX] is two bytes long
                    jmp 1f
                ss_fault:
                    mov $12, %di
                    mov $3, %cx                     # MOV AX, [BP+0] three
                1:  push %bp
                    mov %sp, %bp
                    add %cx, 2(%bp)
                    pop %bp
                    iret
                """);
        try (g) {
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RSI)).isEqualTo(13);
            assertThat(g.r(CpuState.RDI)).isEqualTo(12);
        }
    }

    @Test
    void anApWaitsForSipiIgnoresTheSecondAndInitSendsItBackToWaiting() {
        var g = LegacyGuest.start("""
                    mov %dx, %si                    # the CPUID signature INIT left in EDX
                    mov %cs, %ax
                    inc %cx                         # 0x41: INC CX, not a REX prefix
                    hlt
                """);
        try (g) {
            assertThat(g.cpu.waitingForSipi()).isFalse();
            assertThat(g.st.segBase[Segments.CS]).as("SIPI: CS base vector << 12").isEqualTo(LegacyGuest.BASE);
            assertThat(g.st.cs).isEqualTo(LegacyGuest.VECTOR << 8);
            assertThat(g.st.rip).isZero();
            assertThat(g.cpu.startup(9)).as("a running CPU ignores the second SIPI").isFalse();
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.cpu.retired()).as("the four instructions at the SIPI page, nothing before").isEqualTo(4);
            assertThat(g.r(CpuState.RAX) & 0xffff).isEqualTo(0x800);
            assertThat(g.r(CpuState.RCX)).isEqualTo(1);
            assertThat(g.r(CpuState.RSI)).isNotZero();

            g.cpu.init();
            assertThat(g.cpu.waitingForSipi()).isTrue();
            assertThat(g.cpu.interruptible()).isFalse();
            assertThat(g.cpu.run(1000)).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.cpu.retired()).as("nothing runs before SIPI").isEqualTo(4);
            assertThat(g.st.cs).isEqualTo(0xf000);
            assertThat(g.st.segBase[Segments.CS]).isEqualTo(0xffff0000L);
            assertThat(g.st.rip).isEqualTo(0xfff0);
            assertThat(g.st.cr0).isEqualTo(0x60000010L);
            assertThat(g.st.rflags).isEqualTo(2);
            assertThat(g.r(CpuState.RCX)).isZero();

            assertThat(g.cpu.startup(LegacyGuest.VECTOR)).isTrue();
            assertThat(g.runToEnd()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RCX)).isEqualTo(1);
        }
    }
}
