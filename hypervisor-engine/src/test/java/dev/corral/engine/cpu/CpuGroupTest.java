package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.machine.TscClock;
import dev.corral.engine.memory.GuestMemory;

/** Making the vCPUs of a VM: each index once, the CPUID model of the machine, refusals as sentences. */
class CpuGroupTest {

    private static final MmioHandler NO_MMIO = new MmioHandler() {
        @Override
        public long read(long physicalAddress, int size) {
            return -1L;
        }

        @Override
        public void write(long physicalAddress, int size, long value) {
        }
    };

    @Test
    void eachVcpuIsMadeOnceWithinThePlatformsCount() {
        try (GuestMemory mem = GuestMemory.allocate(KernelGuest.RAM)) {
            EntryState entry = LinuxBoot.load(mem, KernelGuest.bzImage(new byte[] {(byte) 0xf4}), null, "").entry();
            TscClock clock = new TscClock(System::nanoTime);
            CpuGroup group = new CpuGroup(mem, clock, CpuidModel.Platform.of(2, clock));
            group.cpu(1, entry, NO_MMIO, LocalApicPort.none());
            assertThatThrownBy(() -> group.cpu(1, entry, NO_MMIO, LocalApicPort.none()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vCPU 1 of this VM was already made");
            assertThatThrownBy(() -> group.cpu(2, entry, NO_MMIO, LocalApicPort.none()))
                    .isInstanceOf(IndexOutOfBoundsException.class);
            Cpu first = group.cpu(0, entry, NO_MMIO, LocalApicPort.none());
            assertThat(first.run(10)).isInstanceOf(CpuExit.Halt.class);
        }
    }

    @Test
    void theCpuidModelMustStateTheClocksFrequency() {
        try (GuestMemory mem = GuestMemory.allocate(KernelGuest.RAM)) {
            TscClock clock = new TscClock(System::nanoTime, 2_000_000_000L);
            assertThatThrownBy(() -> new CpuGroup(mem, clock, CpuidModel.Platform.uniprocessor()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1000000000 Hz but the VM's clock runs at 2000000000 Hz");
        }
    }
}
