package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/**
 * Two system vCPUs of one VM on two threads over one guest RAM ({@link CpuGroup}): locked read-modify-writes are
 * atomic, a spinlock built on XCHG keeps a plain counter exact (TSO), each vCPU has its own TLB, and code written by
 * one vCPU reaches the other. Nothing here asserts on time; the timeouts only end a test that would never finish.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SmpTest {

    private static final int N = 1_000_000;

    @Test
    void lockXaddFromTwoVcpusCountsEveryIncrement() throws InterruptedException {
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    mov $1000000, %ecx
                1:  mov $1, %eax
                    lock xadd %eax, 0x300000
                    dec %ecx
                    jnz 1b
                    mov $1000000, %ecx
                2:  addl $1, 0x300040       # the same without LOCK: increments may be lost
                    dec %ecx
                    jnz 2b
                    hlt
                """)) {
            g.runAll();
            assertThat(g.read32(0x300000)).isEqualTo(2 * N);
            System.out.println("SmpTest: plain add from two vCPUs counted " + g.read32(0x300040) + " of " + 2 * N);
        }
    }

    @Test
    void lockCmpxchgLoopsFromTwoVcpusCountEveryIncrement() throws InterruptedException {
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    mov $1000000, %ecx
                1:  mov 0x300000, %eax
                2:  lea 1(%rax), %edx
                    lock cmpxchg %edx, 0x300000  # on failure EAX is the current value: try again with it
                    jnz 2b
                    dec %ecx
                    jnz 1b
                    hlt
                """)) {
            g.runAll();
            assertThat(g.read32(0x300000)).isEqualTo(2 * N);
        }
    }

    @Test
    void xchgSpinlockKeepsAPlainCounterExact() throws InterruptedException {
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    mov $1000000, %ecx
                1:  mov $1, %eax
                    xchg %eax, 0x300000         # implicitly locked: take the lock
                    test %eax, %eax
                    jz 3f
                2:  pause
                    cmpl $0, 0x300000
                    jne 2b
                    jmp 1b
                3:  mov 0x300040, %edx          # plain read-modify-write under the lock
                    inc %edx
                    mov %edx, 0x300040
                    movl $0, 0x300000           # release: a plain store, ordered after the counter's (TSO)
                    dec %ecx
                    jnz 1b
                    hlt
                """)) {
            g.runAll();
            assertThat(g.read32(0x300040)).isEqualTo(2 * N);
        }
    }

    @Test
    void splitLockedAccessesAreAtomicWithAlignedOnesAndEachOther() throws InterruptedException {
        // vCPU 0 adds 1 to the aligned qword at 0x302008 (a compare-and-set); vCPU 1 adds 1 << 32 to the qword at
        // 0x302004, which crosses into it (the split lock): both count in the dword at 0x302008. Both also add to a
        // dword that crosses a page (0x303ffe).
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    mov $1000000, %ecx
                    movabs $0x100000000, %rdx
                    test %r15, %r15
                    jnz 2f
                1:  lock addq $1, 0x302008
                    lock addl $1, 0x303ffe
                    dec %ecx
                    jnz 1b
                    hlt
                2:  lock add %rdx, 0x302004
                    lock addl $1, 0x303ffe
                    dec %ecx
                    jnz 2b
                    hlt
                """)) {
            g.runAll();
            assertThat(g.read32(0x302008)).isEqualTo(2 * N);
            assertThat(g.read32(0x302004)).isZero();
            assertThat(g.read32(0x303ffe)).isEqualTo(2 * N);
        }
    }

    @Test
    void vcpusTellThemselvesApartByApicId() throws InterruptedException {
        try (var g = SmpGuest.boot(3, SmpGuest.STACKS + """
                    mov %r15, %rax
                    mov %eax, 0x300000(,%rax,4)
                    movl $1, %edx
                    lock xadd %edx, 0x300100    # 1 + 1 + 1
                    hlt
                """)) {
            g.mem.writeInt(0x300000, -1);
            g.mem.writeInt(0x300004, -1);
            g.mem.writeInt(0x300008, -1);
            g.runAll();
            assertThat(new int[] {g.read32(0x300000), g.read32(0x300004), g.read32(0x300008)}).containsExactly(0, 1, 2);
            assertThat(g.read32(0x300100)).isEqualTo(3);
        }
    }

    @Test
    void codeWrittenByOneVcpuReachesTheOtherLoopingOnIt() throws InterruptedException {
        // vCPU 1 loops on a decoded block until it sees "mov $1, %eax"; vCPU 0 patches the immediate once vCPU 1 has
        // gone round a thousand times.
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    test %r15, %r15
                    jnz reader
                1:  cmpl $1, 0x300100
                    jne 1b
                    movb $1, patched+1
                    hlt
                reader:
                    xor %ecx, %ecx
                patched:
                    mov $0, %eax
                    inc %ecx
                    cmp $1000, %ecx
                    jne 2f
                    movl $1, 0x300100
                2:  test %eax, %eax
                    jz patched
                    hlt
                """)) {
            g.runAll();
            assertThat(g.cpus[1].state().gpr[CpuState.RCX]).isGreaterThanOrEqualTo(1000);
        }
    }

    @Test
    void codeWrittenThroughAWriteEntryTakenBeforeThePageWasCodeReachesTheOtherVcpu() throws InterruptedException {
        // vCPU 0 writes into page P before anyone decodes it, so its TLB holds a fast write entry to P. vCPU 1 then
        // starts executing on P: watching P must take that entry away, or vCPU 0's patch goes unseen and vCPU 1
        // loops forever.
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    test %r15, %r15
                    jnz reader
                1:  movb $0x90, spare             # takes and keeps a fast write entry to P
                    movl $1, 0x300108
                    cmpl $1, 0x300100
                    jne 1b
                2:  cmpl $1, 0x300104
                    jne 2b
                    movb $1, patched+1
                    hlt
                reader:
                    cmpl $1, 0x300108             # wait until vCPU 0 has written P
                    jne reader
                    movl $1, 0x300100
                    xor %ecx, %ecx
                    jmp patched
                .balign 4096
                patched:                          # page P
                    mov $0, %eax
                    inc %ecx
                    cmp $1000, %ecx
                    jne 3f
                    movl $1, 0x300104
                3:  test %eax, %eax
                    jz patched
                    hlt
                spare:
                    nop
                """)) {
            g.runAll();
            assertThat(g.cpus[1].state().gpr[CpuState.RCX]).isGreaterThanOrEqualTo(1000);
        }
    }

    @Test
    void eachVcpuHasItsOwnTlb() {
        // 0x400000 is identity-mapped by a 2 MiB page; vCPU 0 remaps it to 0x600000 and flushes its own TLB.
        try (var g = SmpGuest.boot(2, SmpGuest.STACKS + """
                    test %r15, %r15
                    jnz other
                    movq $0x600083, 0xb010        # PD entry 2: 0x400000 -> 0x600000 (P, RW, PS)
                    invlpg 0x400000
                    mov 0x400000, %eax
                    hlt
                other:
                    mov 0x400000, %eax            # fills vCPU 1's TLB
                    hlt
                    mov 0x400000, %ebx            # after vCPU 0's change: still the old translation
                    hlt
                    mov %cr3, %rdx
                    mov %rdx, %cr3                # its own flush
                    mov 0x400000, %ecx
                    hlt
                """)) {
            g.mem.writeInt(0x400000, 0x11111111);
            g.mem.writeInt(0x600000, 0x22222222);
            g.runToHalt(g.cpus[1]);
            g.runToHalt(g.cpus[0]);
            assertThat(g.cpus[0].state().gpr[CpuState.RAX]).isEqualTo(0x22222222L);
            g.runToHalt(g.cpus[1]);
            g.runToHalt(g.cpus[1]);
            long[] r = g.cpus[1].state().gpr;
            assertThat(r[CpuState.RAX]).isEqualTo(0x11111111L);
            assertThat(r[CpuState.RBX]).as("vCPU 0's INVLPG flushed only its own TLB").isEqualTo(0x11111111L);
            assertThat(r[CpuState.RCX]).isEqualTo(0x22222222L);
        }
    }

    @Test
    void codeADeviceWroteIsDroppedAtTheNextBlock() {
        try (var g = SmpGuest.boot(1, """
                loop:
                    mov $0, %eax
                    test %eax, %eax
                    jz loop
                    hlt
                """)) {
            Cpu cpu = g.cpus[0];
            assertThat(cpu.run(10_000)).isInstanceOf(CpuExit.BudgetSpent.class); // decoded and looping
            long imm = KernelGuest.ENTRY + 1; // the prelude emits no bytes: "loop" is the entry; B8 imm32
            g.mem.writeByte(imm, (byte) 1); // behind the CPU's back, as DMA does
            g.group.deviceWrote(imm, 1);
            assertThat(cpu.run(10_000)).isInstanceOf(CpuExit.Halt.class);
        }
    }
}
