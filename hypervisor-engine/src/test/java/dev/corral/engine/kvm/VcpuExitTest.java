package dev.corral.engine.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.ValueLayout;

import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class VcpuExitTest {

    @Test
    void aSerialPortWriteDecodesAsAnOutOfOneByteAtPort0x3f8() {
        try (var arena = Arena.ofConfined()) {
            var run = arena.allocate(4096);
            run.set(ValueLayout.JAVA_INT, 8, VcpuExit.EXIT_IO);
            run.set(ValueLayout.JAVA_BYTE, 32, (byte) VcpuExit.IO_OUT);
            run.set(ValueLayout.JAVA_BYTE, 33, (byte) 1);
            run.set(ValueLayout.JAVA_SHORT, 34, (short) 0x3f8);
            run.set(ValueLayout.JAVA_INT, 36, 1);
            run.set(ValueLayout.JAVA_LONG, 40, 4096 - 64);
            assertThat(VcpuExit.decode(run)).isEqualTo(new VcpuExit.Io(true, 1, 0x3f8, 1, 4096 - 64));
        }
    }

    @Test
    void mmioWritesCarryOnlyTheirLengthOfDataAndInternalErrorsTheirData() {
        try (var arena = Arena.ofConfined()) {
            var run = arena.allocate(4096);
            run.set(ValueLayout.JAVA_INT, 8, VcpuExit.EXIT_MMIO);
            run.set(ValueLayout.JAVA_LONG, 32, 0xd0000000L);
            run.set(ValueLayout.JAVA_LONG, 40, 0x1122334455667788L);
            run.set(ValueLayout.JAVA_INT, 48, 2);
            run.set(ValueLayout.JAVA_BYTE, 52, (byte) 1);
            assertThat(VcpuExit.decode(run)).isEqualTo(new VcpuExit.Mmio(0xd0000000L, 2, true, 0x7788));

            run.set(ValueLayout.JAVA_INT, 8, VcpuExit.EXIT_INTERNAL_ERROR);
            run.set(ValueLayout.JAVA_INT, 32, 1);
            run.set(ValueLayout.JAVA_INT, 36, 99); // a corrupt count is capped at the 16 slots there are
            var error = (VcpuExit.InternalError) VcpuExit.decode(run);
            assertThat(error.suberror()).isEqualTo(1);
            assertThat(error.data()).hasSize(16);

            run.set(ValueLayout.JAVA_INT, 8, 12345);
            assertThat(VcpuExit.decode(run)).isEqualTo(new VcpuExit.Other(12345));
        }
    }

    @Test
    void aLoadersEntryStateBecomesLongModeSregs() {
        try (var memory = GuestMemory.allocate(64 << 20); var arena = Arena.ofConfined()) {
            var plan = LinuxBoot.load(memory, dev.corral.engine.boot.BootImagesForKvm.bzImage(), null, "");
            var regs = arena.allocate(KvmStructs.REGS);
            var sregs = arena.allocate(KvmStructs.SREGS);
            KvmRegisters.writeRegs(plan.entry(), regs);
            KvmRegisters.writeSregs(plan.entry(), sregs);
            assertThat(regs.get(ValueLayout.JAVA_LONG, KvmStructs.REGS.byteOffset(PathElement.groupElement("rip")))).isEqualTo(0x100200);
            assertThat(regs.get(ValueLayout.JAVA_LONG, KvmStructs.REGS.byteOffset(PathElement.groupElement("rsi")))).isEqualTo(0x7000);
            assertThat(sregs.get(ValueLayout.JAVA_LONG, KvmStructs.SREGS.byteOffset(PathElement.groupElement("efer")))).isEqualTo(0x500);
            long cs = KvmStructs.SREGS.byteOffset(PathElement.groupElement("cs"));
            assertThat(sregs.get(ValueLayout.JAVA_SHORT, cs + 12)).isEqualTo((short) 0x10);
            assertThat(sregs.get(ValueLayout.JAVA_BYTE, cs + 19)).as("cs.l").isEqualTo((byte) 1);
            long ss = KvmStructs.SREGS.byteOffset(PathElement.groupElement("ss"));
            assertThat(sregs.get(ValueLayout.JAVA_SHORT, ss + 12)).isEqualTo((short) 0x18);
        }
    }
}
