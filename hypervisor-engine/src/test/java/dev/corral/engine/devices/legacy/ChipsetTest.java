package dev.corral.engine.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.Random;

import dev.corral.engine.machine.PortIoBus;
import org.junit.jupiter.api.Test;

class ChipsetTest {

    private long now = 1_000_000;

    @Test
    void theChipsAndTheLegacyDevicesShareOneBusWithoutOverlap() {
        var bus = new PortIoBus();
        var chipset = Chipset.attach(bus, () -> now, () -> { });
        LegacyDevices.attach(bus, chipset.pic(), new LegacyDevices.Config(ConsoleBuffer.of(16), Clock.systemUTC(), () -> { },
                code -> { }, false));
        assertThat(bus.claimed()).containsExactly(
                "pic-master at 0x20-0x21", "pit at 0x40-0x43", "i8042-data at 0x60-0x60", "system-control at 0x61-0x61",
                "i8042-command at 0x64-0x64", "rtc at 0x70-0x71", "post-code at 0x80-0x80", "pic-slave at 0xa0-0xa1",
                "com1 at 0x3f8-0x3ff", "elcr at 0x4d0-0x4d1");
    }

    @Test
    void postDelayWritesAreClaimedAndRemembered() {
        var bus = new PortIoBus();
        var chipset = Chipset.attach(bus, () -> now, () -> { });
        bus.write(0x80, 1, 0x42);
        assertThat(chipset.postCode().lastCode()).isEqualTo(0x42);
        assertThat(bus.read(0x80, 1)).isEqualTo(0xff);
        assertThat(bus.counters().unclaimedWrites()).isEmpty();
    }

    @Test
    void theUartInterruptReachesTheCpuThroughThePic() {
        var bus = new PortIoBus();
        var chipset = Chipset.attach(bus, () -> now, () -> { });
        var legacy = LegacyDevices.attach(bus, chipset.pic(), new LegacyDevices.Config(ConsoleBuffer.of(16), Clock.systemUTC(),
                () -> { }, code -> { }, false));
        bus.write(0x20, 1, 0x11);
        bus.write(0x21, 1, 0x20);
        bus.write(0x21, 1, 0x04);
        bus.write(0x21, 1, 0x01);
        bus.write(0x21, 1, 0xef); // only IRQ 4
        bus.write(0x3f9, 1, 0x01); // UART IER: received data available
        legacy.com1().enqueueInput(new byte[] {'x'});
        assertThat(chipset.pic().hasInterrupt()).isTrue();
        assertThat(chipset.pic().acknowledge()).isEqualTo(0x24);
    }

    /** Random accesses to the chips' ports while time passes: nothing faults and the PIT keeps a sane deadline. */
    @Test
    void randomAccessesNeverFaultAndTheDeadlineNeverLiesInThePastAfterAdvancing() {
        int[] ports = {0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x61, 0x80, 0xa0, 0xa1, 0x4d0, 0x4d1};
        for (long seed = 1; seed <= 20; seed++) {
            var random = new Random(seed);
            var bus = new PortIoBus();
            var chipset = Chipset.attach(bus, () -> now, () -> { });
            for (int i = 0; i < 20_000; i++) {
                int port = ports[random.nextInt(ports.length)];
                int size = 1 << random.nextInt(3);
                if (random.nextBoolean()) {
                    bus.write(port, size, random.nextInt());
                } else {
                    bus.read(port, size);
                }
                now += random.nextInt(100_000);
                chipset.pit().advanceTo(now);
                assertThat(chipset.pit().nextDeadlineNanos()).as("seed %d", seed).isGreaterThan(now);
                if (chipset.pic().hasInterrupt()) {
                    int vector = chipset.pic().acknowledge();
                    assertThat(vector).isBetween(0, 255);
                }
            }
            assertThat(bus.counters().deviceFaults()).as("seed %d", seed).isEmpty();
        }
    }
}
