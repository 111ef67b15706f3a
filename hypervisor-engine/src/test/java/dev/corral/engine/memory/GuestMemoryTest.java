package dev.corral.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import dev.corral.engine.sys.Libc;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {

    private static final long MIB = 1024 * 1024;

    @Test
    void accessIsLittleEndianAndMayBeUnaligned() {
        try (var memory = GuestMemory.allocate(2 * MIB)) {
            memory.writeLong(0x1001, 0x0807060504030201L);
            assertThat(memory.readByte(0x1001)).isEqualTo((byte) 0x01);
            assertThat(memory.readShort(0x1002)).isEqualTo((short) 0x0302);
            assertThat(memory.readInt(0x1003)).isEqualTo(0x06050403);
            var bytes = new byte[8];
            memory.read(0x1001, bytes);
            assertThat(bytes).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            memory.write(2 * MIB - 3, new byte[] {9, 9, 9});
            assertThat(memory.readByte(2 * MIB - 1)).isEqualTo((byte) 9);
        }
    }

    @Test
    void everyAccessOutsideRamIsATypedErrorNotACrash() {
        try (var memory = GuestMemory.allocate(List.of(new GuestMemory.Layout(0, MIB), new GuestMemory.Layout(4096 * MIB, MIB)))) {
            assertThat(memory.size()).isEqualTo(2 * MIB);
            memory.writeInt(4096 * MIB + 16, 42);
            assertThat(memory.readInt(4096 * MIB + 16)).isEqualTo(42);
            assertThatThrownBy(() -> memory.readInt(MIB - 2)).isInstanceOf(GuestMemoryException.class)
                    .hasMessageContaining("0xffffe");
            assertThatThrownBy(() -> memory.readByte(2 * MIB)).isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> memory.readLong(-8)).isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> memory.slice(0, Long.MAX_VALUE)).isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> memory.slice(Long.MAX_VALUE - 2, 8)).isInstanceOf(GuestMemoryException.class);
        }
        assertThatThrownBy(() -> GuestMemory.allocate(List.of(new GuestMemory.Layout(0, 2 * MIB), new GuestMemory.Layout(MIB, MIB))))
                .hasMessageContaining("overlap");
    }

    @Test
    void accessAfterCloseFailsInsteadOfTouchingUnmappedMemory() {
        var memory = GuestMemory.allocate(MIB);
        memory.close();
        memory.close();
        assertThatThrownBy(() -> memory.readInt(0)).isInstanceOf(IllegalStateException.class);
    }

    /** 100 guests created and destroyed leave no file descriptor and no mapping behind. */
    @Test
    void createDestroyCyclesLeakNothing() throws IOException {
        long size = 37 * MIB;
        for (int i = 0; i < 10; i++) {
            cycle(size);
        }
        long fds = openFds();
        long mapped = vmSizeKiB();
        for (int i = 0; i < 100; i++) {
            cycle(size);
        }
        assertThat(openFds()).isEqualTo(fds);
        // 100 leaked guests would add 3.7 GiB; not even one may stay.
        assertThat(vmSizeKiB() - mapped).isLessThan(size / 1024);
    }

    private static void cycle(long size) throws IOException {
        long address;
        try (var memory = GuestMemory.allocate(size)) {
            int eventFd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
            try {
                memory.writeLong(size - 8, 1);
                address = memory.regions().getFirst().host().address();
                assertThat(mapped(address, size)).as("the guest's RAM is mapped while it lives").isTrue();
            } finally {
                Libc.close(eventFd);
            }
        }
        assertThat(mapped(address, size)).as("and unmapped when it is closed").isFalse();
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static long vmSizeKiB() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmSize:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D+", ""))).findFirst().orElseThrow();
    }

    /** Whether /proc/self/maps has one mapping covering all of [address, address + size). */
    private static boolean mapped(long address, long size) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().anyMatch(line -> {
            String[] range = line.split(" ", 2)[0].split("-");
            return Long.parseUnsignedLong(range[0], 16) <= address && address + size <= Long.parseUnsignedLong(range[1], 16);
        });
    }
}
