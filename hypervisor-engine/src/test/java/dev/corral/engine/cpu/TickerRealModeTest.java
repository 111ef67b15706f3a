package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.Segments;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.memory.GuestMemory;

/**
 * The ticker guest's real-mode setup path (the one QEMU's {@code -kernel} takes, see TickerQemuDifferentialIT) on
 * the software CPU: loaded as QEMU loads a bzImage (setup at 0x10000, the kernel at 1 MiB, entered at 1020:0000 in
 * real mode), it switches to long mode itself and reaches the same 64-bit kernel, which does exactly the port I/O
 * it does when entered through the boot protocol's 64-bit entry, up to its first HLT.
 */
class TickerRealModeTest {

    private static final long SETUP = 0x10000;
    private static final long CMDLINE = 0x20000;
    private static final String ARGS = "ticks=1 interval=10";

    private static final MmioHandler NO_MMIO = new MmioHandler() {
        @Override
        public long read(long physicalAddress, int size) {
            return -1L;
        }

        @Override
        public void write(long physicalAddress, int size, long value) {
        }
    };

    /** Runs to the first HLT; returns every port access as "OUT port=value" or "IN port", and the COM1 text. */
    private static List<String> portTrace(Cpu cpu, StringBuilder com1) {
        List<String> trace = new ArrayList<>();
        boolean dlab = false;
        for (int k = 0; k < 10_000; k++) {
            switch (cpu.run(100_000)) {
                case CpuExit.Halt h -> {
                    return trace;
                }
                case CpuExit.PortIo io when io.in() -> {
                    trace.add("IN 0x" + Integer.toHexString(io.port()));
                    cpu.completePortIn(io.port() == 0x3fd ? 0x60 : 0); // the UART's LSR: transmitter empty
                }
                case CpuExit.PortIo io -> {
                    trace.add("OUT 0x" + Integer.toHexString(io.port()) + "=0x" + Integer.toHexString(io.value()));
                    if (io.port() == 0x3fb) {
                        dlab = (io.value() & 0x80) != 0;
                    } else if (io.port() == 0x3f8 && !dlab) { // with DLAB set, 0x3f8 is the divisor latch
                        com1.append((char) io.value());
                    }
                }
                case CpuExit.BudgetSpent b -> { }
                case CpuExit other -> throw new AssertionError("the ticker ended with " + other + " at rip 0x"
                        + Long.toHexString(cpu.state().rip));
            }
        }
        throw new AssertionError("the ticker never halted");
    }

    @Test
    void theRealModeSetupPathReachesTheSameKernelAsTheSixtyFourBitEntry() {
        byte[] image = TickerImage.bytes();
        StringBuilder viaEntry = new StringBuilder();
        List<String> entryTrace;
        try (GuestMemory mem = GuestMemory.allocate(64L << 20)) {
            var plan = LinuxBoot.load(mem, image, null, ARGS);
            entryTrace = portTrace(Cpu.system(mem, NO_MMIO, plan.entry()), viaEntry);
        }

        StringBuilder viaSetup = new StringBuilder();
        List<String> setupTrace;
        try (GuestMemory mem = GuestMemory.allocate(64L << 20)) {
            int setupSects = image[0x1f1] & 0xff;
            int realModeBytes = (setupSects + 1) * 512;
            mem.write(SETUP, java.util.Arrays.copyOf(image, realModeBytes));
            mem.write(0x100000, java.util.Arrays.copyOfRange(image, realModeBytes, image.length));
            mem.write(CMDLINE, (ARGS + "\0").getBytes(StandardCharsets.US_ASCII));
            mem.writeInt(SETUP + 0x228, (int) CMDLINE); // cmd_line_ptr
            mem.writeByte(SETUP + 0x210, (byte) 0xff); // type_of_loader: undefined
            Cpu cpu = Cpu.apWaitingForSipi(mem, NO_MMIO);
            cpu.startup((int) (SETUP >>> 12));
            CpuState st = cpu.state();
            new Segments(st, cpu.pagedMemory()).set(Segments.CS, 0x1020, SETUP + 0x200, 0xffff, Segments.REAL_CODE);
            st.rip = 0; // where QEMU's loader jumps: the setup code after the boot sector
            setupTrace = portTrace(cpu, viaSetup);
            assertThat(st.codeSize).isEqualTo(8);
            assertThat(st.efer & CpuState.EFER_LMA).isNotZero();
            assertThat(cpu.interruptible()).as("halted in its main loop with interrupts on").isTrue();
        }

        assertThat(viaEntry.toString()).isEqualTo("corral ticker: booted\r\n");
        assertThat(viaSetup.toString()).isEqualTo(viaEntry.toString());
        assertThat(setupTrace.subList(0, 2)).as("fast A20 through port 0x92 first").containsExactly("IN 0x92", "OUT 0x92=0x2");
        assertThat(setupTrace.subList(2, setupTrace.size())).isEqualTo(entryTrace);
    }
}
