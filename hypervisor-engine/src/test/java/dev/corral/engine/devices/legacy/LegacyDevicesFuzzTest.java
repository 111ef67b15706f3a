package dev.corral.engine.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.machine.RecordingInterruptController;
import org.junit.jupiter.api.Test;

class LegacyDevicesFuzzTest {

    private static final int[] SIZES = {1, 2, 4};

    @Test
    void theStandardLayoutPutsEachDeviceAtItsPort() {
        var bus = new PortIoBus();
        LegacyDevices.attach(bus, new RecordingInterruptController(), config(ConsoleBuffer.of(16), new ArrayList<>(), true));
        assertThat(bus.claimed()).containsExactly(
                "i8042-data at 0x60-0x60", "i8042-command at 0x64-0x64", "rtc at 0x70-0x71",
                "com1 at 0x3f8-0x3ff", "debug-exit at 0x501-0x502");

        var tenant = new PortIoBus();
        LegacyDevices.attach(tenant, new RecordingInterruptController(), config(ConsoleBuffer.of(16), new ArrayList<>(), false));
        assertThat(tenant.claimed()).doesNotContain("debug-exit at 0x501-0x502");
    }

    /**
     * Random reads and writes of every size, at the devices' ports and around them, with host input mixed in:
     * nothing escapes the bus, and no device ever throws (a thrown exception would show as a fault).
     */
    @Test
    void randomAccessesNeverEscapeTheBusAndNoDeviceFaults() {
        for (long seed = 1; seed <= 20; seed++) {
            var random = new Random(seed);
            var bus = new PortIoBus();
            var console = ConsoleBuffer.of(256);
            var events = new ArrayList<String>();
            var devices = LegacyDevices.attach(bus, new RecordingInterruptController(), config(console, events, true));
            int[] hotPorts = {0x3f8, 0x60, 0x64, 0x70, 0x501};

            for (int i = 0; i < 20_000; i++) {
                int port = random.nextInt(8) == 0
                        ? random.nextInt(PortIoBus.PORTS)
                        : hotPorts[random.nextInt(hotPorts.length)] + random.nextInt(10) - 1;
                int size = SIZES[random.nextInt(SIZES.length)];
                if (random.nextBoolean()) {
                    bus.write(port, size, random.nextInt());
                } else {
                    bus.read(port, size);
                }
                if (random.nextInt(50) == 0) {
                    var input = new byte[random.nextInt(40)];
                    random.nextBytes(input);
                    if (random.nextBoolean()) {
                        devices.com1().enqueueInput(input);
                    } else {
                        devices.com1().sendInput(input);
                    }
                }
            }

            assertThat(bus.counters().deviceFaults()).as("seed %d", seed).isEmpty();
            assertThat(bus.counters().unclaimedReads()).as("seed %d", seed).isNotEmpty();
            assertThat(events).as("seed %d: the guest did reach the reset and exit ports", seed).isNotEmpty();
        }
    }

    private static LegacyDevices.Config config(ConsoleSink console, List<String> events, boolean debugExit) {
        var clock = Clock.fixed(Instant.parse("2026-11-25T02:50:00Z"), ZoneOffset.UTC);
        return new LegacyDevices.Config(console, clock, () -> events.add("reset"), code -> events.add("exit " + code), debugExit);
    }
}
