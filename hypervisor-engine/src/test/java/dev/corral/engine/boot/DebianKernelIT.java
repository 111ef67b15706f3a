package dev.corral.engine.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Random;

import dev.corral.engine.memory.GuestMemory;
import org.junit.jupiter.api.Test;

/**
 * The loaders with a kernel no one here wrote: Debian's cloud kernel as a bzImage (64-bit entry) and as the
 * vmlinux inside it (PVH entry). Running it needs /dev/kvm or the software CPU's system level; this proves the
 * images load as the boot protocols say, and that damaged copies of them are refused with typed errors.
 */
class DebianKernelIT {

    private static final long MIB = 1 << 20;

    @Test
    void theDebianBzImageLoadsForIts64BitEntry() throws Exception {
        byte[] image = Files.readAllBytes(DebianKernel.bzImage());
        var header = SetupHeader.parse(image);
        assertThat(header.version()).isGreaterThanOrEqualTo(0x020f);
        assertThat(header.relocatable()).isTrue();
        try (var memory = GuestMemory.allocate(256 * MIB)) {
            var plan = LinuxBoot.load(memory, image, "initrd bytes".getBytes(), "console=ttyS0 reboot=k panic=1");
            byte[] loaded = new byte[4096];
            memory.read(Layout.HIGH_MEMORY + 0x200, loaded);
            assertThat(loaded).isEqualTo(java.util.Arrays.copyOfRange(image, (int) header.kernelOffset() + 0x200,
                    (int) header.kernelOffset() + 0x200 + 4096));
            assertThat(plan.entry().rip()).isEqualTo(0x100200);
            assertThat(LinuxBootTest.cString(memory, Integer.toUnsignedLong(memory.readInt(Layout.ZERO_PAGE + 0x228))))
                    .isEqualTo("console=ttyS0 reboot=k panic=1");
            // The header the kernel reads back is the image's own, byte for byte, but for the fields a loader sets.
            assertThat(memory.readShort(Layout.ZERO_PAGE + 0x206)).isEqualTo((short) header.version());
            assertThat(Integer.toUnsignedLong(memory.readInt(Layout.ZERO_PAGE + 0x260))).isEqualTo(header.initSize());
        }
    }

    @Test
    void theVmlinuxInsideItLoadsAtItsPvhEntry() throws Exception {
        byte[] vmlinux = Files.readAllBytes(DebianKernel.vmlinux());
        var elf = ElfImage.parse(vmlinux);
        assertThat(elf.pvhEntry()).isPresent();
        try (var memory = GuestMemory.allocate(256 * MIB)) {
            var plan = PvhBoot.load(memory, vmlinux, null, "console=ttyS0");
            assertThat(plan.entry().rip()).isEqualTo(elf.pvhEntry().getAsLong());
            assertThat(plan.entry().rip()).isBetween(plan.kernelAddress(), plan.kernelAddress() + plan.kernelSize());
            assertThat(plan.entry().longMode()).isFalse();
            var text = elf.segments().getFirst();
            byte[] loaded = new byte[256];
            memory.read(text.physical(), loaded);
            assertThat(loaded).isEqualTo(java.util.Arrays.copyOfRange(vmlinux, (int) text.offset(), (int) text.offset() + 256));
        }
    }

    @Test
    void damagedCopiesOfTheRealKernelAreRefusedWithTypedErrorsNeverACrash() throws Exception {
        byte[] image = Files.readAllBytes(DebianKernel.bzImage());
        byte[] vmlinux = Files.readAllBytes(DebianKernel.vmlinux());
        var random = new Random(2026_11_25);
        int refused = 0;
        try (var memory = GuestMemory.allocate(256 * MIB)) {
            for (int i = 0; i < 300; i++) {
                boolean elf = i % 2 == 1;
                byte[] original = elf ? vmlinux : image;
                byte[] damaged = random.nextBoolean()
                        ? java.util.Arrays.copyOf(original, random.nextInt(elf ? 8192 : original.length))
                        : corrupt(original, random, elf ? 0x1000 : 0x300);
                try {
                    if (elf) {
                        PvhBoot.load(memory, damaged, null, "");
                    } else {
                        LinuxBoot.load(memory, damaged, null, "");
                    }
                } catch (KernelImageException expected) {
                    refused++;
                }
            }
        }
        assertThat(refused).isGreaterThan(100);
    }

    private static byte[] corrupt(byte[] original, Random random, int headerBytes) {
        byte[] copy = java.util.Arrays.copyOf(original, Math.min(original.length, 4 << 20));
        for (int n = 1 + random.nextInt(8); n > 0; n--) {
            copy[random.nextInt(headerBytes)] = (byte) random.nextInt(256);
        }
        return copy;
    }
}
