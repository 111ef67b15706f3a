package dev.corral.engine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The real-mode setup header of a bzImage, at offset 0x1f1 of the file (Linux boot protocol,
 * Documentation/arch/x86/boot.rst, "THE REAL-MODE KERNEL HEADER"). Only the fields a 64-bit loader reads.
 *
 * @param setupSects      512-byte sectors of real-mode setup code after the boot sector (0 means 4)
 * @param version         boot protocol version, e.g. 0x020f for 2.15
 * @param loadFlags       bit 0 LOADED_HIGH: the protected-mode kernel loads at 1 MiB
 * @param initrdAddrMax   highest address the initrd may end at (inclusive)
 * @param kernelAlignment physical alignment the kernel wants
 * @param relocatable     whether it may be loaded at another aligned address
 * @param xloadFlags      bit 0 XLF_KERNEL_64: has the 64-bit entry point at load address + 0x200
 * @param cmdlineSize     longest command line, without its NUL
 * @param prefAddress     preferred load address
 * @param initSize        bytes the kernel needs from its load address while it decompresses itself
 * @param headerEnd       file offset just past the header (0x202 plus the byte at 0x201): what a loader copies
 * @param payloadOffset   2.08+: where the compressed kernel starts, from the protected-mode kernel's start (0 before)
 * @param payloadLength   2.08+: its length in bytes (0 before)
 */
public record SetupHeader(int setupSects, int version, int loadFlags, long initrdAddrMax, long kernelAlignment,
        boolean relocatable, int xloadFlags, long cmdlineSize, long prefAddress, long initSize, int headerEnd,
        long payloadOffset, long payloadLength) {

    public static final int OFFSET = 0x1f1;
    static final int BOOT_FLAG = 0xaa55;
    static final int MAGIC_HDRS = 0x53726448; // "HdrS"
    /** 2.12: xloadflags, and with it a declared 64-bit entry point. */
    static final int MIN_VERSION = 0x020c;
    static final int LOADED_HIGH = 0x01;
    static final int XLF_KERNEL_64 = 0x01;
    /** 2.08: payload_offset and payload_length. */
    static final int PAYLOAD_VERSION = 0x0208;

    /** Reads and checks the header of a bzImage; throws {@link KernelImageException} saying what is wrong. */
    public static SetupHeader parse(byte[] image) {
        if (image.length < 0x270) {
            throw new KernelImageException("not a bzImage: " + image.length + " bytes is too short for the boot sector and setup header");
        }
        var b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (Short.toUnsignedInt(b.getShort(0x1fe)) != BOOT_FLAG) {
            throw new KernelImageException("not a bzImage: no boot flag 0xaa55 at offset 0x1fe");
        }
        if (b.getInt(0x202) != MAGIC_HDRS) {
            throw new KernelImageException("not a bzImage: no \"HdrS\" setup header signature at offset 0x202");
        }
        int version = Short.toUnsignedInt(b.getShort(0x206));
        if (version < MIN_VERSION) {
            throw new KernelImageException(String.format("boot protocol %d.%02d is too old: a 64-bit entry needs 2.12 or later",
                    version >> 8, version & 0xff));
        }
        int xloadFlags = Short.toUnsignedInt(b.getShort(0x236));
        if ((xloadFlags & XLF_KERNEL_64) == 0) {
            throw new KernelImageException("the kernel has no 64-bit entry point (xloadflags bit XLF_KERNEL_64 is clear)");
        }
        int loadFlags = Byte.toUnsignedInt(b.get(0x211));
        if ((loadFlags & LOADED_HIGH) == 0) {
            throw new KernelImageException("the kernel does not load at 1 MiB (loadflags LOADED_HIGH is clear): a zImage, not a bzImage");
        }
        int setupSects = Byte.toUnsignedInt(b.get(0x1f1));
        if (setupSects == 0) {
            setupSects = 4;
        }
        long kernelOffset = (setupSects + 1L) * 512;
        if (kernelOffset >= image.length) {
            throw new KernelImageException("truncated bzImage: the setup code claims " + setupSects + " sectors, past the end of the "
                    + image.length + "-byte file");
        }
        int headerEnd = 0x202 + Byte.toUnsignedInt(b.get(0x201));
        long syssize = Integer.toUnsignedLong(b.getInt(0x1f4)) * 16;
        if (syssize > 0 && kernelOffset + syssize > image.length) {
            throw new KernelImageException("truncated bzImage: the header declares " + syssize + " bytes of kernel, the file has "
                    + (image.length - kernelOffset));
        }
        long alignment = Integer.toUnsignedLong(b.getInt(0x230));
        if (alignment == 0 || Long.bitCount(alignment) != 1) {
            throw new KernelImageException("malformed setup header: kernel_alignment 0x" + Long.toHexString(alignment) + " is not a power of two");
        }
        long payloadOffset = version >= PAYLOAD_VERSION ? Integer.toUnsignedLong(b.getInt(0x248)) : 0;
        long payloadLength = version >= PAYLOAD_VERSION ? Integer.toUnsignedLong(b.getInt(0x24c)) : 0;
        if (payloadLength > 0 && kernelOffset + payloadOffset + payloadLength > image.length) {
            throw new KernelImageException("truncated bzImage: the header puts the compressed kernel at [0x" + Long.toHexString(payloadOffset)
                    + ", 0x" + Long.toHexString(payloadOffset + payloadLength) + ") of the protected-mode kernel, past the end of the "
                    + image.length + "-byte file");
        }
        return new SetupHeader(setupSects, version, loadFlags, Integer.toUnsignedLong(b.getInt(0x22c)), alignment,
                b.get(0x234) != 0, xloadFlags, Integer.toUnsignedLong(b.getInt(0x238)), b.getLong(0x258),
                Integer.toUnsignedLong(b.getInt(0x260)), headerEnd, payloadOffset, payloadLength);
    }

    /** File offset of the protected-mode kernel. */
    public long kernelOffset() {
        return (setupSects + 1L) * 512;
    }
}
