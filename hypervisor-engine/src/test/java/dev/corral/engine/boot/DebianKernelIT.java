package dev.corral.engine.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
            // Left to the kernel's own decompressor, as for a payload the loader does not know.
            var plan = LinuxBoot.load(memory, image, "initrd bytes".getBytes(), "console=ttyS0 reboot=k panic=1", null, false, new Random(1));
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
    void theLoaderDecompressesTheDebianKernelAsDebiansOwnLz4Does() throws Exception {
        byte[] image = Files.readAllBytes(DebianKernel.bzImage());
        var kernel = KernelPayload.decompress(image, SetupHeader.parse(image)).orElseThrow();
        // Debian's lz4 tool, run on the payload, is the oracle: the ELF and the relocation table after it, byte for byte.
        assertThat(kernel.elf().bytes()).isEqualTo(Files.readAllBytes(DebianKernel.vmlinux()));
        assertThat(kernel.relocations64()).hasSizeGreaterThan(10_000);
        assertThat(kernel.inverse32()).hasSizeGreaterThan(1_000);
        assertThat(kernel.relocations32()).hasSizeGreaterThan(10_000);
        long tableBytes = 4L * (3 + kernel.relocations64().length + kernel.inverse32().length + kernel.relocations32().length);
        assertThat(kernel.elf().fileEnd() + tableBytes).isEqualTo(kernel.elf().bytes().length);
    }

    @Test
    void decompressedByTheLoaderTheKernelLandsAtRandomAddressesRelocatedAsItsDecompressorWouldPlaceIt() throws Exception {
        byte[] image = Files.readAllBytes(DebianKernel.bzImage());
        var header = SetupHeader.parse(image);
        var kernel = KernelPayload.decompress(image, header).orElseThrow();
        byte[] original = kernel.elf().bytes();
        long base = header.prefAddress();
        var seen = new java.util.HashSet<String>();
        for (int seed = 0; seed < 8; seed++) {
            try (var memory = GuestMemory.allocate(256 * MIB)) {
                var placed = KernelPayload.place(memory, kernel, base, header.kernelAlignment(), 200 * MIB, true, new Random(seed));
                seen.add(placed.physical() + "/" + placed.virtualOffset());
                assertThat(placed.physical()).isBetween(base, 200 * MIB - placed.size());
                assertThat(placed.physical() % (2 * MIB)).isZero();
                assertThat(placed.virtualOffset() % (2 * MIB)).isZero();
                assertThat(base + placed.virtualOffset() + placed.size()).isLessThanOrEqualTo(KernelPayload.KERNEL_IMAGE_SIZE);
                assertThat(placed.entry()).isEqualTo(placed.physical() + kernel.elf().entry() - base);
                long delta = placed.virtualOffset();
                // One location of each kind, read back from guest memory: moved by the virtual offset (or against it).
                int r64 = kernel.relocations64()[kernel.relocations64().length / 2];
                assertThat(memory.readLong(guest(placed, base, r64))).isEqualTo(fileLong(kernel, original, r64) + delta);
                int r32 = kernel.relocations32()[kernel.relocations32().length / 3];
                assertThat(memory.readInt(guest(placed, base, r32))).isEqualTo((int) (fileLong(kernel, original, r32) + delta));
                int inverse = kernel.inverse32()[kernel.inverse32().length / 4];
                assertThat(memory.readInt(guest(placed, base, inverse))).isEqualTo((int) (fileLong(kernel, original, inverse) - delta));
            }
        }
        assertThat(seen).hasSizeGreaterThanOrEqualTo(7);

        // Through the loader: the zero page says KASLR was applied; with nokaslr nothing moves and it says nothing.
        try (var memory = GuestMemory.allocate(256 * MIB)) {
            var plan = LinuxBoot.load(memory, image, "initrd bytes".getBytes(), "console=ttyS0", null, true, new Random(3));
            assertThat(memory.readByte(Layout.ZERO_PAGE + ZeroPage.LOADFLAGS) & KernelPayload.KASLR_FLAG).isNotZero();
            assertThat(plan.entry().longMode()).isTrue();
            assertThat(plan.entry().rsi()).isEqualTo(Layout.ZERO_PAGE);
            assertThat(plan.kernelAddress() + plan.kernelSize()).isLessThanOrEqualTo(plan.initrdAddress());
        }
        try (var memory = GuestMemory.allocate(256 * MIB)) {
            var plan = LinuxBoot.load(memory, image, null, "console=ttyS0 nokaslr", null, true, new Random(3));
            assertThat(memory.readByte(Layout.ZERO_PAGE + ZeroPage.LOADFLAGS) & KernelPayload.KASLR_FLAG).isZero();
            assertThat(plan.kernelAddress()).isEqualTo(base);
            assertThat(plan.entry().rip()).isEqualTo(kernel.elf().entry());
            var text = kernel.elf().segments().getFirst();
            byte[] loaded = new byte[1 << 20];
            memory.read(text.physical(), loaded);
            assertThat(loaded).isEqualTo(java.util.Arrays.copyOfRange(original, (int) text.offset(), (int) text.offset() + loaded.length));
        }
    }

    @Test
    void theRelocationTableIsReadFromTheEndAsTheKernelReadsItPaddingAfterTheElfIncluded() throws Exception {
        byte[] blob = Files.readAllBytes(DebianKernel.vmlinux());
        var kernel = KernelPayload.relocations(ElfImage.parse(blob), blob);
        int elfEnd = (int) kernel.elf().fileEnd();
        // Zeros between the ELF file and the table (alignment a build might add): the same three lists.
        byte[] padded = new byte[blob.length + 16];
        System.arraycopy(blob, 0, padded, 0, elfEnd);
        System.arraycopy(blob, elfEnd, padded, elfEnd + 16, blob.length - elfEnd);
        var again = KernelPayload.relocations(ElfImage.parse(padded), padded);
        assertThat(again.relocations64()).isEqualTo(kernel.relocations64());
        assertThat(again.inverse32()).isEqualTo(kernel.inverse32());
        assertThat(again.relocations32()).isEqualTo(kernel.relocations32());
        // A table without its zeros runs back into the ELF file: refused.
        byte[] broken = blob.clone();
        java.util.Arrays.fill(broken, elfEnd, broken.length, (byte) 1);
        assertThatThrownBy(() -> KernelPayload.relocations(ElfImage.parse(broken), broken))
                .isInstanceOf(KernelImageException.class).hasMessageContaining("has no zero before its 32-bit relocations");
    }

    @Test
    void aRelocationOutsideTheKernelIsRefusedBeforeTheGuestRuns() throws Exception {
        byte[] image = Files.readAllBytes(DebianKernel.bzImage());
        var header = SetupHeader.parse(image);
        var kernel = KernelPayload.decompress(image, header).orElseThrow();
        var bad = new KernelPayload.Kernel(kernel.elf(), new int[] {0x7fff_fff0}, new int[0], new int[0]);
        try (var memory = GuestMemory.allocate(256 * MIB)) {
            // Seed 1 draws a virtual offset (1 in ~480 draws none, and then there is nothing to relocate).
            assertThatThrownBy(() -> KernelPayload.place(memory, bad, header.prefAddress(), header.kernelAlignment(), 200 * MIB, true,
                    new Random(1))).isInstanceOf(KernelImageException.class).hasMessageContaining("relocation of 0x7ffffff0 is outside");
        }
    }

    /** Where a relocated location of the kernel image sits in guest memory. */
    private static long guest(KernelPayload.Placement placed, long base, int relocation) {
        return placed.physical() + ((long) relocation - KernelPayload.START_KERNEL_MAP - base);
    }

    /** The 64-bit value at a relocated location in the unrelocated file (its low half for a 32-bit one). */
    private static long fileLong(KernelPayload.Kernel kernel, byte[] file, int relocation) {
        long physical = (long) relocation - KernelPayload.START_KERNEL_MAP;
        for (var s : kernel.elf().segments()) {
            if (physical >= s.physical() && physical < s.physical() + s.fileSize()) {
                return java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong((int) (s.offset() + physical - s.physical()));
            }
        }
        throw new AssertionError("relocation outside the image");
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
