package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.cpu.sys.TimeStampCounter;
import dev.corral.engine.machine.TscClock;

/**
 * What a kernel sees of the system CPU's identity: the TSC on the VM's clock with its offset and IA32_TSC_ADJUST,
 * IA32_ARCH_CAPABILITIES and the other MSRs Linux reads, the local APIC's MSRs and CR8 through its port (refusals
 * are #GP), VERR and VERW.
 */
class CpuIdentityTest {

    /** A #GP handler that counts at 0x300f00 and skips the faulting instruction (its length in R14). */
    private static final String GP_SKIPS = """
                gate 13, gp
                idt_load
                jmp main
            gp:
                incq 0x300f00
                add %r14, 8(%rsp)
                add $8, %rsp
                iretq
            main:
            """;

    private static final String RDTSC = "rdtsc; shl $32, %rdx; or %rdx, %rax\n";

    @Test
    void tscCountsOnTheVmClockAndWritesMoveOnlyAnOffsetAndTscAdjust() {
        AtomicLong nanos = new AtomicLong(5_000);
        TscClock clock = new TscClock(nanos::get); // 1 GHz: a tick a nanosecond, from 0 at 5000 ns
        try (var g = KernelGuest.boot(RDTSC + """
                mov %rax, %r8
                hlt
                """ + RDTSC + """
                mov %rax, %r9
                mov $0x10, %ecx                 # IA32_TSC := 0x5000
                mov $0x5000, %eax
                xor %edx, %edx
                wrmsr
                """ + RDTSC + """
                mov %rax, %r10
                mov $0x3b, %ecx                 # IA32_TSC_ADJUST
                rdmsr
                shl $32, %rdx
                or %rdx, %rax
                mov %rax, %r11
                add $0x100, %rax                # IA32_TSC_ADJUST += 0x100: the counter moves with it
                mov %rax, %rdx
                shr $32, %rdx
                wrmsr
                """ + RDTSC + """
                mov %rax, %r12
                hlt
                """, clock, CpuidModel.Platform.of(1, clock), LocalApicPort.none())) {
            nanos.set(1_005_000);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(8)).isEqualTo(1_000_000);
            nanos.addAndGet(1_000);
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(9)).isEqualTo(1_001_000);
            assertThat(g.r(10)).isEqualTo(0x5000);
            assertThat(g.r(11)).as("the write's difference went into IA32_TSC_ADJUST").isEqualTo(0x5000 - 1_001_000L);
            assertThat(g.r(12)).isEqualTo(0x5100);
        }
    }

    @Test
    void twoVcpusShareTheClockAndKeepTheirOwnOffsets() {
        AtomicLong nanos = new AtomicLong();
        TscClock clock = new TscClock(nanos::get);
        var a = new TimeStampCounter(clock);
        var b = new TimeStampCounter(clock);
        nanos.set(700);
        assertThat(a.read()).isEqualTo(b.read()).isEqualTo(700);
        a.write(10_000);
        assertThat(a.read()).isEqualTo(10_000);
        assertThat(b.read()).isEqualTo(700);
        nanos.set(800);
        assertThat(a.read()).isEqualTo(10_100);
        assertThat(b.read()).isEqualTo(800);
        assertThat(a.toClock(a.fromClock(123))).isEqualTo(123);
    }

    @Test
    void archCapabilitiesAndTheMsrsLinuxReadsAnswer() {
        try (var g = KernelGuest.boot(GP_SKIPS + """
                mov $7, %eax
                xor %ecx, %ecx
                cpuid
                mov %rdx, %rbp                  # CPUID.7.EDX: ARCH_CAPABILITIES is enumerated
                mov $0x10a, %ecx
                rdmsr
                shl $32, %rdx
                or %rdx, %rax
                mov %rax, %r8
                mov $0x8b, %ecx                 # the microcode revision, as Linux reads it
                xor %eax, %eax
                xor %edx, %edx
                wrmsr
                rdmsr
                mov %rdx, %r9
                mov $0x3a, %ecx                 # IA32_FEATURE_CONTROL: locked
                rdmsr
                mov %rax, %r10
                mov $2, %r14
                mov $5, %eax
                wrmsr                           # #GP: locked
                mov $0x1a0, %ecx                # IA32_MISC_ENABLE: fast strings
                rdmsr
                mov %rax, %r11
                mov $0x1b, %ecx                 # IA32_APIC_BASE without an APIC: the default
                rdmsr
                mov %rax, %r12
                mov $0x802, %ecx                # x2APIC id without an APIC: #GP
                rdmsr
                mov $0x6e0, %ecx                # IA32_TSC_DEADLINE: #GP
                rdmsr
                mov $9, %eax
                mov %rax, %cr8                  # CR8 is kept without an APIC
                mov %cr8, %r13
                mov $4, %r14
                mov $0x10, %eax
                mov %rax, %cr8                  # reserved bits: #GP
                hlt
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RBP) & (1L << 29)).isNotZero();
            long caps = g.r(8);
            long rdclNo = 1, ssbNo = 1 << 4, mdsNo = 1 << 5, pschangeMcNo = 1 << 6, taaNo = 1 << 8, sbdrSsdpNo = 1 << 13,
                    fbsdpNo = 1 << 14, psdpNo = 1 << 15, bhiNo = 1 << 20, pbrsbNo = 1 << 24, gdsNo = 1 << 26,
                    rfdsNo = 1 << 27, itsNo = 1L << 62;
            assertThat(caps).isEqualTo(rdclNo | ssbNo | mdsNo | pschangeMcNo | taaNo | sbdrSsdpNo | fbsdpNo | psdpNo | bhiNo
                    | pbrsbNo | gdsNo | rfdsNo | itsNo);
            assertThat(caps & (1 << 7 | 1 << 17 | 1 << 25 | 1 << 28)).as("no TSX_CTRL, FB_CLEAR, GDS_CTRL, RFDS_CLEAR")
                    .isZero();
            assertThat(g.r(9)).isZero();
            assertThat(g.r(10)).isEqualTo(1);
            assertThat(g.r(11) & 1).isEqualTo(1);
            assertThat(g.r(12)).isEqualTo(0xfee00900L);
            assertThat(g.r(13)).isEqualTo(9);
            assertThat(g.mem.readLong(0x300f00)).as("#GP count").isEqualTo(4);
        }
    }

    /** A local APIC that answers from a map and logs writes; register 0x803 is reserved. */
    static final class RecordingApic implements LocalApicPort {
        final Map<Integer, Long> regs = new HashMap<>(Map.of(0x802, 5L));
        final List<String> writes = new ArrayList<>();
        int tpr;

        @Override
        public long readMsr(int msr) throws Refused {
            if (msr == 0x803) {
                throw new Refused("RDMSR of reserved x2APIC register 0x803");
            }
            return regs.getOrDefault(msr, 0L);
        }

        @Override
        public void writeMsr(int msr, long value) {
            writes.add(Integer.toHexString(msr) + "=" + Long.toHexString(value));
            regs.put(msr, value);
        }

        @Override
        public int taskPriorityClass() {
            return tpr;
        }

        @Override
        public void setTaskPriorityClass(int priorityClass) {
            tpr = priorityClass;
        }
    }

    @Test
    void apicMsrsAndCr8GoToTheLocalApicAndItsRefusalsAreGp() {
        TscClock clock = new TscClock(() -> 0);
        var apic = new RecordingApic();
        try (var g = KernelGuest.boot(GP_SKIPS + """
                mov $0x802, %ecx                # x2APIC id
                rdmsr
                mov %rax, %r8
                mov $0x80b, %ecx                # EOI
                xor %eax, %eax
                xor %edx, %edx
                wrmsr
                mov $2, %r14
                mov $0x803, %ecx                # refused: #GP
                rdmsr
                mov $0x10, %ecx                 # IA32_TSC := 0x1000, an offset of 0x1000 on the clock
                mov $0x1000, %eax
                wrmsr
                mov $0x6e0, %ecx                # a deadline in this vCPU's TSC
                mov $0x3000, %eax
                wrmsr
                rdmsr
                mov %rax, %r9
                xor %eax, %eax                  # 0 disarms, whatever the offset
                wrmsr
                mov $7, %eax
                mov %rax, %cr8
                mov %cr8, %r10
                hlt
                """, clock, CpuidModel.Platform.of(1, clock).withLocalApic(true, true), apic)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(8)).isEqualTo(5);
            assertThat(g.mem.readLong(0x300f00)).isEqualTo(1);
            assertThat(apic.writes).containsExactly("80b=0", "6e0=2000", "6e0=0");
            assertThat(g.r(9)).as("read back in this vCPU's TSC").isEqualTo(0x3000);
            assertThat(apic.tpr).isEqualTo(7);
            assertThat(g.r(10)).isEqualTo(7);
        }
    }

    @Test
    void verrAndVerwSetZfFromTheDescriptorAndPrivilege() {
        // A GDT of our own: selectors 0x08.. below; each result byte is ZF after VERR, then after VERW.
        try (var g = KernelGuest.boot("""
                lgdt gdtr
                lea sels(%rip), %rsi
                mov $0x300000, %rdi
                mov $14, %ecx
            1:  movzwl (%rsi), %eax
                stc                             # only ZF may change
                verr %ax
                setz (%rdi)
                setc 0x100(%rdi)
                verw %ax
                setz 1(%rdi)
                add $2, %rsi
                add $2, %rdi
                loop 1b
                verw sels+4(%rip)               # a memory operand: the writable data segment
                setz 0x300080
                hlt
            .balign 8
            gdt:
                .quad 0
                .quad 0x00af9a000000ffff        # 0x08 code, DPL 0, readable
                .quad 0x00af98000000ffff        # 0x10 code, DPL 0, execute-only
                .quad 0x00cf92000000ffff        # 0x18 data, DPL 0, writable
                .quad 0x00cf90000000ffff        # 0x20 data, DPL 0, read-only
                .quad 0x00cff2000000ffff        # 0x28 data, DPL 3, writable
                .quad 0x00af9e000000ffff        # 0x30 code, DPL 0, conforming, readable
                .quad 0x0000890040000067, 0     # 0x38 a 64-bit TSS: a system descriptor
            gdt_end:
            gdtr:
                .word gdt_end - gdt - 1
                .quad gdt
            sels:
                .word 0x08, 0x10, 0x18, 0x20, 0x28, 0x2b, 0x30, 0x33, 0x1b, 0x0b, 0x38, 0x48, 0x00, 0x1c
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            String[] expect = {
                "10", // 0x08 readable code: read, not write
                "00", // 0x10 execute-only code
                "11", // 0x18 writable data
                "10", // 0x20 read-only data
                "11", // 0x28 DPL 3 data, from CPL 0
                "11", // 0x2b the same with RPL 3
                "10", // 0x30 conforming readable code
                "10", // 0x33 conforming: no privilege check for VERR
                "00", // 0x1b DPL 0 data with RPL 3
                "00", // 0x0b DPL 0 code with RPL 3
                "00", // 0x38 a system descriptor
                "00", // 0x48 beyond the limit: no fault
                "00", // 0x00 null
                "00", // 0x1c in the LDT
            };
            for (int k = 0; k < expect.length; k++) {
                String got = "" + g.mem.readByte(0x300000 + 2L * k) + g.mem.readByte(0x300001 + 2L * k);
                assertThat(got).as("selector #" + k + " VERR, VERW").isEqualTo(expect[k]);
                assertThat(g.mem.readByte(0x300100 + 2L * k)).as("CF kept").isEqualTo((byte) 1);
            }
            assertThat(g.mem.readByte(0x300080)).isEqualTo((byte) 1);
        }
    }
}
