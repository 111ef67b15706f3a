package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/** Guest bytes alone must never make {@link Cpu#run} throw: every outcome is a {@link CpuExit}. */
class RandomBytesTest {

    @Test
    void randomCodeOnlyEverProducesExits() {
        Random rnd = new Random(42);
        int[] prefixes = {0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x48, 0x4c, 0x41, 0x40, 0x0f, 0x0f, 0x0f, 0x64};
        for (int round = 0; round < 2000; round++) {
            FlatMemory mem = new FlatMemory(0x10000, 0x10000);
            CpuState st = new CpuState();
            st.rip = 0x10000 + rnd.nextInt(64);
            for (int r = 0; r < 16; r++) {
                st.gpr[r] = rnd.nextBoolean() ? 0x18000 + rnd.nextInt(0x100) * 8 : rnd.nextLong();
            }
            st.gpr[CpuState.RSP] = 0x1f000;
            for (int k = 0; k < 32; k++) {
                st.xmm[k] = rnd.nextLong();
            }
            for (int k = 0; k < 0x200; k++) {
                int b = rnd.nextInt(4) == 0 ? prefixes[rnd.nextInt(prefixes.length)] : rnd.nextInt(256);
                mem.bytes[k] = (byte) b;
            }
            Cpu cpu = new Cpu(st, mem);
            for (int step = 0; step < 5; step++) {
                CpuExit e = cpu.run(200);
                assertThat(e).isNotNull();
                if (!(e instanceof CpuExit.Syscall) && !(e instanceof CpuExit.BudgetSpent)) {
                    break;
                }
            }
        }
    }
}
