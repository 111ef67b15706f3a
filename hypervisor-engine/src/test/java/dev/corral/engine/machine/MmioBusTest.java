package dev.corral.engine.machine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class MmioBusTest {

    private static final class Probe implements MmioDevice {
        final List<String> seen = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            seen.add("read 0x" + Long.toHexString(offset) + "/" + size);
            return 0x1122_3344_5566_7788L;
        }

        @Override
        public void write(long offset, int size, long value) {
            seen.add("write 0x" + Long.toHexString(offset) + "/" + size + "=0x" + Long.toHexString(value));
        }
    }

    @Test
    void accessIsDispatchedWithTheOffsetAndTruncatedToItsSize() {
        var bus = new MmioBus();
        var virtio = new Probe();
        bus.register(0xd000_0000L, 0x1000, "virtio-blk", virtio);
        bus.register(0x1_0000_0000L, 0x1000, "high", new Probe());

        assertThat(bus.read(0xd000_0070L, 8)).isEqualTo(0x1122_3344_5566_7788L);
        assertThat(bus.read(0xd000_0ffcL, 4)).isEqualTo(0x5566_7788L);
        assertThat(bus.read(0xd000_0000L, 1)).isEqualTo(0x88L);
        bus.write(0xd000_0010L, 2, -1L);

        assertThat(virtio.seen).containsExactly("read 0x70/8", "read 0xffc/4", "read 0x0/1", "write 0x10/2=0xffff");
    }

    @Test
    void unclaimedAddressesReadAllOnesAndAreCountedPerAddress() {
        var bus = new MmioBus();
        bus.register(0xd000_0000L, 0x1000, "virtio-blk", new Probe());

        assertThat(bus.read(0xfee0_0000L, 4)).isEqualTo(0xffff_ffffL);
        assertThat(bus.read(0xfee0_0000L, 8)).isEqualTo(-1L);
        assertThat(bus.read(0xd000_0ffcL, 8)).isEqualTo(-1L); // straddles the end of the device
        bus.write(0xfec0_0000L, 4, 1);
        bus.write(-8L, 8, 1); // beyond any physical address: still just unclaimed

        var counters = bus.counters();
        assertThat(counters.unclaimedReadsAt(0xfee0_0000L)).isEqualTo(2);
        assertThat(counters.unclaimedReadsAt(0xd000_0ffcL)).isEqualTo(1);
        assertThat(counters.unclaimedWritesAt(0xfec0_0000L)).isEqualTo(1);
        assertThat(counters.unclaimedWritesAt(-8L)).isEqualTo(1);
    }

    @Test
    void overlappingOrOverflowingRegistrationsAreRefused() {
        var bus = new MmioBus();
        bus.register(0xd000_0000L, 0x1000, "virtio-blk", new Probe());

        assertThatThrownBy(() -> bus.register(0xcfff_f000L, 0x2000, "net", new Probe()))
                .isInstanceOf(BusException.class).hasMessageContaining("overlaps virtio-blk at 0xd0000000-0xd0000fff");
        assertThatThrownBy(() -> bus.register(Long.MAX_VALUE - 10, 0x1000, "wrap", new Probe()))
                .isInstanceOf(BusException.class);
        assertThatThrownBy(() -> bus.register(-4096, 0x1000, "negative", new Probe()))
                .isInstanceOf(BusException.class);
    }

    @Test
    void aDeviceThatThrowsReadsAllOnesAndIsCounted() {
        var bus = new MmioBus();
        bus.register(0x1000, 0x100, "broken", new MmioDevice() {
            @Override
            public long read(long offset, int size) {
                throw new DeviceException("queue 7 does not exist");
            }

            @Override
            public void write(long offset, int size, long value) {
                throw new ArrayIndexOutOfBoundsException(7);
            }
        });

        assertThat(bus.read(0x1010, 2)).isEqualTo(0xffffL);
        bus.write(0x1010, 8, 3);
        assertThat(bus.counters().faultsOf("broken")).isEqualTo(2);
        assertThat(bus.counters().lastFault()).get().extracting(DeviceFault::write).isEqualTo(true);
        assertThatThrownBy(() -> bus.read(0x1000, 16)).isInstanceOf(IllegalArgumentException.class);
    }
}
