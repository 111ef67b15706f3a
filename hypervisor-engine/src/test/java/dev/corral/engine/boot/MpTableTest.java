package dev.corral.engine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class MpTableTest {

    @Test
    void fourVcpusAreFourProcessorEntriesWithTheFirstAsBootstrapAndValidChecksums() {
        try (var memory = GuestMemory.allocate(2 << 20)) {
            int used = MpTable.write(memory, Layout.EBDA_START, 4);
            byte[] floating = new byte[16];
            memory.read(Layout.EBDA_START, floating);
            assertThat(new String(floating, 0, 4)).isEqualTo("_MP_");
            assertThat(sum(floating)).isZero();
            long table = Integer.toUnsignedLong(memory.readInt(Layout.EBDA_START + 4));
            assertThat(table).isEqualTo(Layout.EBDA_START + 16);
            int length = Short.toUnsignedInt(memory.readShort(table + 4));
            assertThat(used).isEqualTo(16 + length);
            byte[] config = new byte[length];
            memory.read(table, config);
            assertThat(new String(config, 0, 4)).isEqualTo("PCMP");
            assertThat(sum(config)).isZero();
            assertThat(Short.toUnsignedInt(memory.readShort(table + 34))).isEqualTo(4 + 1 + 1 + 16 + 2);
            assertThat(Integer.toUnsignedLong(memory.readInt(table + 36))).isEqualTo(0xfee00000L);
            for (int cpu = 0; cpu < 4; cpu++) {
                long entry = table + 44 + 20L * cpu;
                assertThat(memory.readByte(entry)).isZero();
                assertThat(memory.readByte(entry + 1)).as("local APIC id").isEqualTo((byte) cpu);
                assertThat(memory.readByte(entry + 3)).as("flags").isEqualTo((byte) (cpu == 0 ? 3 : 1));
            }
            assertThat(used).isLessThanOrEqualTo((int) (Layout.HIGH_MEMORY - Layout.EBDA_START));
        }
    }

    @Test
    void theVcpuCountIsChecked() {
        try (var memory = GuestMemory.allocate(2 << 20)) {
            assertThatThrownBy(() -> MpTable.write(memory, Layout.EBDA_START, 0)).hasMessageContaining("1 to 254");
            assertThat(MpTable.write(memory, Layout.EBDA_START, 254)).isLessThan((int) (Layout.HIGH_MEMORY - Layout.EBDA_START));
        }
    }

    private static int sum(byte[] bytes) {
        int s = 0;
        for (byte b : bytes) {
            s += b;
        }
        return s & 0xff;
    }
}
