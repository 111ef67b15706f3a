package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The oracle firmware (real mode arithmetic, every 16-bit ModRM form, BCD, strings, far calls, the IVT, 16- and
 * 32-bit protected mode with faults through the IDT, PAE, long and compatibility mode) prints on the software CPU
 * exactly what it printed on QEMU's TCG when {@code legacy-oracle.expected} was recorded. {@link
 * LegacyQemuDifferentialIT} checks the recording against a live QEMU where one is installed.
 */
class LegacyOracleTest {

    @Test
    void theSoftwareCpuPrintsWhatQemuPrinted() {
        assertThat(LegacyOracle.runOnSoftwareCpu(LegacyOracle.image())).isEqualTo(LegacyOracle.expected());
    }
}
