package dev.corral.engine.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class PortIoBusTest {

    /** Remembers the accesses it saw and answers reads with offset + size, so dispatch is visible. */
    private static final class Probe implements PortIoDevice {
        final List<String> seen = new ArrayList<>();

        @Override
        public int read(int offset, int size) {
            seen.add("read " + offset + "/" + size);
            return 0x1234_5600 | offset;
        }

        @Override
        public void write(int offset, int size, int value) {
            seen.add("write " + offset + "/" + size + "=0x" + Integer.toHexString(value));
        }
    }

    @Test
    void accessIsDispatchedToTheOwnerWithTheOffsetIntoItsRange() {
        var bus = new PortIoBus();
        var uart = new Probe();
        var rtc = new Probe();
        bus.register(0x3f8, 8, "uart", uart);
        bus.register(0x70, 2, "rtc", rtc);

        assertThat(bus.read(0x3fd, 1)).isEqualTo(0x05);
        bus.write(0x3f8, 2, 0xfff_abcd);
        assertThat(bus.read(0x3fc, 4)).isEqualTo(0x1234_5604);
        assertThat(bus.read(0x71, 1)).isEqualTo(0x01);

        assertThat(uart.seen).containsExactly("read 5/1", "write 0/2=0xabcd", "read 4/4");
        assertThat(rtc.seen).containsExactly("read 1/1");
        assertThat(bus.claimed()).containsExactly("rtc at 0x70-0x71", "uart at 0x3f8-0x3ff");
    }

    @Test
    void unclaimedPortsReadAllOnesIgnoreWritesAndAreCountedPerPort() {
        var bus = new PortIoBus();
        bus.register(0x3f8, 8, "uart", new Probe());

        assertThat(bus.read(0x80, 1)).isEqualTo(0xff);
        assertThat(bus.read(0x80, 2)).isEqualTo(0xffff);
        assertThat(bus.read(0x2f8, 4)).isEqualTo(0xffff_ffff);
        bus.write(0x80, 1, 0x42);

        var counters = bus.counters();
        assertThat(counters.unclaimedReadsAt(0x80)).isEqualTo(2);
        assertThat(counters.unclaimedReadsAt(0x2f8)).isEqualTo(1);
        assertThat(counters.unclaimedWritesAt(0x80)).isEqualTo(1);
        assertThat(counters.unclaimedWritesAt(0x3f8)).isZero();
    }

    @Test
    void anAccessStraddlingTheEndOfARangeIsUnclaimed() {
        var bus = new PortIoBus();
        var probe = new Probe();
        bus.register(0x70, 2, "rtc", probe);

        assertThat(bus.read(0x71, 2)).isEqualTo(0xffff);
        assertThat(probe.seen).isEmpty();
        assertThat(bus.counters().unclaimedReadsAt(0x71)).isEqualTo(1);
    }

    @Test
    void overlappingRegistrationsAreRefusedNamingBothDevices() {
        var bus = new PortIoBus();
        bus.register(0x3f8, 8, "uart", new Probe());

        assertThatThrownBy(() -> bus.register(0x3ff, 2, "other", new Probe()))
                .isInstanceOf(BusException.class)
                .hasMessage("cannot register other at 0x3ff-0x400 on the port I/O bus: it overlaps uart at 0x3f8-0x3ff");
        assertThatThrownBy(() -> bus.register(0x3f0, 0x20, "wide", new Probe())).isInstanceOf(BusException.class);
        assertThatThrownBy(() -> bus.register(0xfffe, 4, "past-end", new Probe()))
                .isInstanceOf(BusException.class).hasMessageContaining("do not fit");
        assertThatThrownBy(() -> bus.register(0x100, 0, "empty", new Probe())).isInstanceOf(BusException.class);

        // Adjacent ranges on either side are fine.
        bus.register(0x3f0, 8, "below", new Probe());
        bus.register(0x400, 1, "above", new Probe());
        assertThat(bus.claimed()).hasSize(3);
    }

    @Test
    void aDeviceThatThrowsDoesNotEscapeTheBusAndIsCounted() {
        var bus = new PortIoBus();
        bus.register(0x500, 4, "picky", new PortIoDevice() {
            @Override
            public int read(int offset, int size) {
                throw new DeviceException("register " + offset + " is write-only");
            }

            @Override
            public void write(int offset, int size, int value) {
                throw new IllegalStateException("a bug in the device");
            }
        });

        assertThat(bus.read(0x501, 1)).isEqualTo(0xff);
        bus.write(0x502, 2, 7);

        var counters = bus.counters();
        assertThat(counters.faultsOf("picky")).isEqualTo(2);
        assertThat(counters.lastFault()).get().hasToString(
                "picky failed a write at 0x502: java.lang.IllegalStateException: a bug in the device");
        assertThat(counters.unclaimedReads()).isEmpty();
    }

    @Test
    void aWrongAccessSizeIsACallerBug() {
        var bus = new PortIoBus();
        assertThatThrownBy(() -> bus.read(0x80, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a port access is 1, 2 or 4 bytes wide, not 3");
        assertThatThrownBy(() -> bus.write(0x80, 8, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aGuestScanningEveryPortCannotGrowTheCountersWithoutBound() {
        var bus = new PortIoBus();
        for (int port = 0; port < PortIoBus.PORTS; port++) {
            bus.read(port, 1);
        }
        var counters = bus.counters();
        assertThat(counters.unclaimedReads()).hasSize(AccessCounters.TRACKED_ADDRESSES);
        assertThat(counters.unclaimedUntracked()).isEqualTo(PortIoBus.PORTS - AccessCounters.TRACKED_ADDRESSES);
        // An address already tracked keeps counting.
        bus.read(0, 1);
        assertThat(bus.counters().unclaimedReadsAt(0)).isEqualTo(2);
    }

    @Test
    void byteRegisterDevicesSeeWideAccessesAsByteAccessesInAscendingOrder() {
        var bus = new PortIoBus();
        var seen = new ArrayList<String>();
        bus.register(0x60, 4, "bytes", new BytePortIoDevice() {
            @Override
            public int readByte(int offset) {
                seen.add("read " + offset);
                return 0x10 + offset;
            }

            @Override
            public void writeByte(int offset, int value) {
                seen.add("write " + offset + "=" + Integer.toHexString(value));
            }
        });

        assertThat(bus.read(0x60, 4)).isEqualTo(0x1312_1110);
        bus.write(0x62, 2, 0xbeef);
        assertThat(seen).containsExactly("read 0", "read 1", "read 2", "read 3", "write 2=ef", "write 3=be");
    }
}
