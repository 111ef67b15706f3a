package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.memory.GuestMemory;

/**
 * Random bytes as kernel code, with random or half-plausible IDTs, TSS bases and registers: whatever the
 * guest does, a system CPU only ever returns {@link CpuExit}s (never a Java exception, never a Fault).
 */
class SystemRandomTest {

    @Test
    void randomKernelCodeAndRandomIdtsOnlyEverProduceExits() {
        Random rnd = new Random(20261125);
        int[] prefixes = {0x66, 0x67, 0xf0, 0xf3, 0x48, 0x41, 0x0f, 0x0f, 0x0f, 0x65, 0xcf, 0xcd, 0xe4, 0xee, 0xfb, 0xf4};
        byte[] image = KernelGuest.bzImage(new byte[0x1000]);
        int shutdowns = 0;
        int portIo = 0;
        try (GuestMemory mem = GuestMemory.allocate(KernelGuest.RAM)) {
            for (int round = 0; round < 1500; round++) {
                var entry = LinuxBoot.load(mem, image, null, "").entry();
                byte[] code = new byte[0x400];
                for (int k = 0; k < code.length; k++) {
                    code[k] = (byte) (rnd.nextInt(3) == 0 ? prefixes[rnd.nextInt(prefixes.length)] : rnd.nextInt(256));
                }
                mem.write(KernelGuest.ENTRY, code);
                for (int v = 0; v < 256; v++) {
                    long a = KernelGuest.IDT + 16L * v;
                    if (rnd.nextBoolean()) {
                        long target = KernelGuest.ENTRY + rnd.nextInt(code.length);
                        int type = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : 0x8e | rnd.nextInt(2) | (rnd.nextInt(4) << 5);
                        int sel = rnd.nextInt(4) == 0 ? rnd.nextInt(0x40) : 0x10;
                        long lo = (target & 0xffff) | ((long) sel << 16) | ((long) rnd.nextInt(8) << 32) | ((long) type << 40)
                                | ((target >>> 16) & 0xffff) << 48;
                        mem.writeLong(a, lo);
                        mem.writeLong(a + 8, target >>> 32);
                    } else {
                        mem.writeLong(a, rnd.nextLong());
                        mem.writeLong(a + 8, rnd.nextLong());
                    }
                }
                long seed = rnd.nextLong();
                Cpu cpu = Cpu.system(mem, new MmioHandler() {
                    final Random r = new Random(seed);

                    @Override
                    public long read(long physicalAddress, int size) {
                        return r.nextLong();
                    }

                    @Override
                    public void write(long physicalAddress, int size, long value) {
                    }
                }, entry);
                CpuState st = cpu.state();
                switch (rnd.nextInt(4)) {
                    case 0 -> {
                        st.idtBase = rnd.nextLong();
                        st.idtLimit = rnd.nextInt(0x10000);
                    }
                    case 1 -> {
                        st.idtBase = rnd.nextInt(1 << 25);
                        st.idtLimit = 0xfff;
                    }
                    default -> {
                        st.idtBase = KernelGuest.IDT;
                        st.idtLimit = 0xfff;
                    }
                }
                st.trBase = rnd.nextBoolean() ? rnd.nextInt(1 << 24) : rnd.nextLong();
                st.trLimit = rnd.nextInt(0x200);
                for (int r = 0; r < 16; r++) {
                    if (r != CpuState.RSP) {
                        st.gpr[r] = rnd.nextBoolean() ? 0x200000 + rnd.nextInt(0x1000) * 8 : rnd.nextLong();
                    }
                }
                if (rnd.nextInt(8) == 0) {
                    st.gpr[CpuState.RSP] = rnd.nextLong();
                }
                st.rflags |= rnd.nextBoolean() ? CpuState.IF : 0;
                for (int step = 0; step < 8; step++) {
                    CpuExit e = cpu.run(300);
                    assertThat(e).isNotNull().isNotInstanceOf(CpuExit.Fault.class).isNotInstanceOf(CpuExit.Syscall.class);
                    if (e instanceof CpuExit.Shutdown) {
                        shutdowns++;
                        break;
                    }
                    if (e instanceof CpuExit.PortIo io) {
                        portIo++;
                        if (io.in()) {
                            cpu.completePortIn(rnd.nextInt());
                        }
                    }
                    if (cpu.interruptible() && rnd.nextBoolean()) {
                        cpu.injectInterrupt(rnd.nextInt(256));
                    }
                }
            }
        }
        // The random programs reach both the I/O path and the triple-fault path, or the test proves little.
        assertThat(shutdowns).isGreaterThan(50);
        assertThat(portIo).isGreaterThan(50);
    }
}
