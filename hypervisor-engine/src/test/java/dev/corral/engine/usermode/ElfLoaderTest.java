package dev.corral.engine.usermode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

import dev.corral.engine.cpu.state.MemoryFault;
import org.junit.jupiter.api.Test;

class ElfLoaderTest {

    private static final int PF_X = 1, PF_W = 2, PF_R = 4;

    /** One program header: type, flags, file offset, address, bytes in the file, bytes in memory. */
    private record Ph(int type, int flags, long offset, long vaddr, long filesz, long memsz) {}

    /** A little ELF: header, program headers at 64, then {@code body} from offset 0x1000. */
    private static byte[] elf(int type, long entry, List<Ph> phs, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(0x1000 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) type).putShort(18, (short) 62).putInt(20, 1).putLong(24, entry).putLong(32, 64)
                .putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) phs.size());
        for (int i = 0; i < phs.size(); i++) {
            Ph p = phs.get(i);
            int h = 64 + 56 * i;
            b.putInt(h, p.type).putInt(h + 4, p.flags).putLong(h + 8, p.offset).putLong(h + 16, p.vaddr)
                    .putLong(h + 24, p.vaddr).putLong(h + 32, p.filesz).putLong(h + 40, p.memsz).putLong(h + 48, 0x1000);
        }
        b.put(0x1000, body);
        return b.array();
    }

    private static byte[] twoSegments() {
        byte[] body = new byte[0x1010];
        Arrays.fill(body, 0, 16, (byte) 0x90);
        Arrays.fill(body, 0x1000, 0x1010, (byte) 0x55);
        return elf(2, 0x401000, List.of(
                new Ph(ElfLoader.PT_LOAD, PF_R, 0, 0x400000, 0x1000, 0x1000),
                new Ph(ElfLoader.PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 16, 16),
                new Ph(ElfLoader.PT_LOAD, PF_R | PF_W, 0x2000, 0x402000, 16, 0x3000),
                new Ph(ElfLoader.PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0)), body);
    }

    @Test
    void segmentsAreMappedWithTheirPermissionsAndBssIsZero() throws Exception {
        var m = new UserAddressSpace();
        var image = ElfLoader.load(twoSegments(), m);
        assertThat(image.entry()).isEqualTo(0x401000);
        assertThat(image.phdr()).as("headers inside the first segment").isEqualTo(0x400040);
        assertThat(image.phnum()).isEqualTo(4);
        assertThat(image.breakStart()).isEqualTo(0x405000);
        assertThat(image.executableStack()).isFalse();
        assertThat(m.read32(0x400000)).isEqualTo(0x464c457f);
        assertThat(m.fetch8(0x401000)).isEqualTo(0x90);
        assertThat(m.read8(0x402000)).isEqualTo(0x55);
        assertThat(m.read64(0x402010)).as("bss").isZero();
        assertThat(m.read64(0x404ff8)).as("bss").isZero();
        m.write64(0x404ff8, 1);
        assertThatThrownBy(() -> m.write8(0x401000, 0)).as("text is read-only").isInstanceOf(MemoryFault.class);
        assertThatThrownBy(() -> m.fetch8(0x402000)).as("data is not executable").isInstanceOf(MemoryFault.class);
        assertThatThrownBy(() -> m.read8(0x405000)).as("past the image").isInstanceOf(MemoryFault.class);
    }

    @Test
    void aStaticPieIsPlacedAtTheLoadBase() throws Exception {
        byte[] body = new byte[16];
        var m = new UserAddressSpace();
        var image = ElfLoader.load(elf(3, 0x1000, List.of(new Ph(ElfLoader.PT_LOAD, PF_R | PF_X, 0, 0, 0x1010, 0x1010)), body), m);
        assertThat(image.loadBias()).isEqualTo(ElfLoader.PIE_BASE);
        assertThat(image.entry()).isEqualTo(ElfLoader.PIE_BASE + 0x1000);
        assertThat(image.phdr()).isEqualTo(ElfLoader.PIE_BASE + 64);
        assertThat(m.read32(ElfLoader.PIE_BASE)).isEqualTo(0x464c457f);
    }

    @Test
    void aHugeBssIsMappedLazilyAndAtOnce() throws Exception {
        var m = new UserAddressSpace(new PageBudget(16));
        long huge = 64L << 40; // 64 TiB: must be neither touched nor walked page by page
        var image = ElfLoader.load(elf(2, 0x400000, List.of(new Ph(ElfLoader.PT_LOAD, PF_R | PF_W, 0, 0x400000, 0x100, huge)),
                new byte[0]), m);
        assertThat(image.breakStart()).isEqualTo(0x400000 + huge);
        assertThat(m.read64(0x400000 + huge - 8)).isZero();
    }

    @Test
    void badMagicIsATypedError() {
        byte[] notElf = "#!/bin/sh\necho hi\n".getBytes();
        assertThatThrownBy(() -> ElfLoader.load(notElf, new UserAddressSpace()))
                .isInstanceOf(ElfFormatException.class).hasMessageContaining("bad magic");
    }

    @Test
    void everyTruncationIsATypedErrorNotACrash() {
        byte[] whole = twoSegments();
        for (int length : new int[] {0, 3, 4, 20, 63, 64, 100, 64 + 56 * 4 - 1, 0x1000, 0x2000, 0x200f}) {
            byte[] cut = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> ElfLoader.load(cut, new UserAddressSpace())).as("cut at %d", length)
                    .isInstanceOf(ElfFormatException.class);
        }
    }

    @Test
    void headerFieldsOutOfRangeAreTypedErrors() {
        byte[] wrongMachine = twoSegments();
        wrongMachine[18] = 40; // ARM
        assertThatThrownBy(() -> ElfLoader.load(wrongMachine, new UserAddressSpace())).hasMessageContaining("x86-64");
        byte[] hugePhnum = twoSegments();
        hugePhnum[56] = (byte) 0xff;
        hugePhnum[57] = (byte) 0xff;
        assertThatThrownBy(() -> ElfLoader.load(hugePhnum, new UserAddressSpace())).hasMessageContaining("truncated");
        byte[] kernelAddress = elf(2, 0, List.of(new Ph(ElfLoader.PT_LOAD, PF_R, 0, 0xffff_8000_0000_0000L, 16, 16)), new byte[16]);
        assertThatThrownBy(() -> ElfLoader.load(kernelAddress, new UserAddressSpace())).hasMessageContaining("outside user space");
        byte[] memLessThanFile = elf(2, 0, List.of(new Ph(ElfLoader.PT_LOAD, PF_R, 0, 0x400000, 32, 16)), new byte[16]);
        assertThatThrownBy(() -> ElfLoader.load(memLessThanFile, new UserAddressSpace())).hasMessageContaining("smaller in memory");
    }

    @Test
    void aDynamicallyLinkedExecutableIsRefusedWithAReason() {
        byte[] dynamic = elf(3, 0, List.of(new Ph(ElfLoader.PT_INTERP, PF_R, 0x1000, 0, 28, 28),
                new Ph(ElfLoader.PT_LOAD, PF_R, 0, 0, 0x1000, 0x1000)), "/lib64/ld-linux-x86-64.so.2\0".getBytes());
        assertThatThrownBy(() -> ElfLoader.load(dynamic, new UserAddressSpace()))
                .isInstanceOf(ElfFormatException.class).hasMessageContaining("dynamically linked");
    }

    @Test
    void theInitialStackFollowsTheSysVLayout() throws Exception {
        var m = new UserAddressSpace();
        var image = ElfLoader.load(twoSegments(), m);
        byte[] random = new byte[16];
        Arrays.fill(random, (byte) 7);
        long rsp = InitialStack.build(m, image, List.of("prog", "arg"), List.of("A=1"), "/bin/prog", 0x178bfbff, random, 1000, 1000);
        assertThat(rsp % 16).isZero();
        assertThat(m.read64(rsp)).as("argc").isEqualTo(2);
        assertThat(new String(m.readCString(m.read64(rsp + 8), 100))).isEqualTo("prog");
        assertThat(new String(m.readCString(m.read64(rsp + 16), 100))).isEqualTo("arg");
        assertThat(m.read64(rsp + 24)).isZero();
        assertThat(new String(m.readCString(m.read64(rsp + 32), 100))).isEqualTo("A=1");
        assertThat(m.read64(rsp + 40)).isZero();
        java.util.Map<Long, Long> aux = new java.util.HashMap<>();
        for (long a = rsp + 48; ; a += 16) {
            aux.put(m.read64(a), m.read64(a + 8));
            if (m.read64(a) == 0) {
                break;
            }
        }
        assertThat(aux).containsEntry(3L, 0x400040L).containsEntry(5L, 4L).containsEntry(6L, 4096L)
                .containsEntry(9L, 0x401000L).containsEntry(16L, 0x178bfbffL).containsEntry(11L, 1000L)
                .containsEntry(23L, 0L).containsKey(0L);
        assertThat(m.read(aux.get(25L), 16)).isEqualTo(random);
        assertThat(new String(m.readCString(aux.get(15L), 100))).isEqualTo("x86_64");
        assertThat(new String(m.readCString(aux.get(31L), 100))).isEqualTo("/bin/prog");
    }
}
