package dev.corral.engine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Small, hand-made boot images for the loader's tests (the real Debian kernel is in DebianKernelIT). */
final class Images {

    private Images() {
    }

    /** A bzImage with a valid 2.15 header, 4 setup sectors and {@code kernelBytes} of "kernel" (a counting pattern). */
    static byte[] bzImage(int kernelBytes) {
        int setupSects = 4;
        var b = ByteBuffer.allocate((setupSects + 1) * 512 + kernelBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putInt(0x1f4, kernelBytes / 16);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x200, (byte) 0xeb).put(0x201, (byte) 0x6a); // jmp: the header ends at 0x202 + 0x6a = 0x26c
        b.putInt(0x202, 0x53726448);
        b.putShort(0x206, (short) 0x020f);
        b.put(0x211, (byte) 0x01);
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x230, 0x200000);
        b.put(0x234, (byte) 1);
        b.putShort(0x236, (short) 0x1);
        b.putInt(0x238, 2048);
        b.putLong(0x258, 0x1000000);
        b.putInt(0x260, kernelBytes + 0x10000);
        for (int i = 0; i < kernelBytes; i++) {
            b.put((setupSects + 1) * 512 + i, (byte) (i * 7));
        }
        return b.array();
    }

    /** A 64-bit ELF with one PT_LOAD of {@code code} at {@code physical} and, if {@code pvhEntry >= 0}, a Xen PVH note. */
    static byte[] elf(long physical, byte[] code, long bss, long pvhEntry) {
        int phnum = pvhEntry >= 0 ? 2 : 1;
        int noteOffset = 64 + 56 * phnum;
        int noteSize = 12 + 4 + 4;
        int codeOffset = 0x1000;
        var b = ByteBuffer.allocate(codeOffset + code.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 2).putShort(18, (short) 62).putInt(20, 1).putLong(0x18, physical);
        b.putLong(0x20, 64).putShort(0x34, (short) 64).putShort(0x36, (short) 56).putShort(0x38, (short) phnum);
        int h = 64;
        b.putInt(h, 1).putInt(h + 4, 5).putLong(h + 8, codeOffset).putLong(h + 16, physical).putLong(h + 24, physical)
                .putLong(h + 32, code.length).putLong(h + 40, code.length + bss).putLong(h + 48, 0x1000);
        if (pvhEntry >= 0) {
            h += 56;
            b.putInt(h, 4).putLong(h + 8, noteOffset).putLong(h + 32, noteSize).putLong(h + 40, noteSize).putLong(h + 48, 4);
            b.putInt(noteOffset, 4).putInt(noteOffset + 4, 4).putInt(noteOffset + 8, 18);
            b.put(noteOffset + 12, (byte) 'X').put(noteOffset + 13, (byte) 'e').put(noteOffset + 14, (byte) 'n');
            b.putInt(noteOffset + 16, (int) pvhEntry);
        }
        b.put(codeOffset, code);
        return b.array();
    }
}
