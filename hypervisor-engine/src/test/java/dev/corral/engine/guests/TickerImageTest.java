package dev.corral.engine.guests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import dev.corral.engine.boot.Layout;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.boot.SetupHeader;
import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

class TickerImageTest {

    @Test
    void theBuiltTickerIsABzImageLinuxBootLoadsForItsSixtyFourBitEntry() {
        byte[] image = TickerImage.bytes();
        var header = SetupHeader.parse(image);
        assertThat(header.version()).isGreaterThanOrEqualTo(0x020c);
        assertThat(header.xloadFlags() & 1).isEqualTo(1);
        assertThat(header.initSize()).isGreaterThan(image.length - header.kernelOffset());

        try (var memory = GuestMemory.allocate(64L << 20)) {
            var plan = LinuxBoot.load(memory, image, null, "ticks=3 interval=200");
            assertThat(plan.entry().rip()).isEqualTo(Layout.HIGH_MEMORY + 0x200);
            assertThat(plan.entry().longMode()).isTrue();
            // The first instructions at the 64-bit entry: cli; cld.
            assertThat(memory.readByte(plan.entry().rip()) & 0xff).isEqualTo(0xfa);
            assertThat(memory.readByte(plan.entry().rip() + 1) & 0xff).isEqualTo(0xfc);
            byte[] cmdline = new byte[20];
            memory.read(Layout.CMDLINE, cmdline);
            assertThat(new String(cmdline, StandardCharsets.US_ASCII)).isEqualTo("ticks=3 interval=200");
        }
    }
}
