package dev.corral.engine.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.machine.PortIoBus;
import org.junit.jupiter.api.Test;

class DebugExitTest {

    @Test
    void aGuestWritingAStatusEndsTheVmWithTheOddExitCode() {
        List<Integer> codes = new ArrayList<>();
        var bus = new PortIoBus();
        bus.register(DebugExit.BASE, DebugExit.LENGTH, "debug-exit", new DebugExit(codes::add));

        bus.write(0x501, 1, 0);    // outb $0, $0x501
        bus.write(0x501, 1, 0x10);
        bus.write(0x501, 2, 0x7f); // outw works too, and is one exit, not two
        bus.write(0x502, 1, 3);

        assertThat(codes).containsExactly(1, 33, 255, 7);
        assertThat(bus.read(0x501, 1)).isEqualTo(0xff);
    }

    @Test
    void theExitCodeIsNeverZero() {
        for (int value : new int[] {0, 1, 0x7fff_ffff, -1, 0x8000_0000}) {
            assertThat(DebugExit.exitCode(value) & 1).isEqualTo(1);
        }
    }
}
