package dev.corral.engine.boot;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.zip.GZIPInputStream;

import dev.corral.engine.memory.GuestMemory;

/**
 * The kernel inside a bzImage, decompressed and placed by the loader instead of by the kernel's own decompressor
 * (arch/x86/boot/compressed/misc.c), which on the software CPU spends ~90 M guest instructions before the kernel
 * proper starts. The loader does what that decompressor does, KASLR included: the payload (LZ4 legacy frames or gzip)
 * is the stripped vmlinux ELF followed by its relocation table; the loader picks a random physical address and a random
 * virtual offset (2 MiB steps; none with {@code nokaslr} or a kernel built without relocations), copies the PT_LOAD
 * segments there, applies the relocations for the virtual offset, sets KASLR_FLAG in the zero page's loadflags (the
 * kernel then randomizes its memory regions too), and the boot vCPU enters the kernel proper's {@code startup_64} with
 * the same registers as the bzImage's 64-bit entry. Other payload formats (xz, zstd, ...) are left to the guest.
 *
 * <p>The relocation table, as the kernel's build appends it (arch/x86/tools/relocs): a zero, the 64-bit relocations, a
 * zero, the inverse 32-bit ones, a zero, the 32-bit ones; each entry is the kernel virtual address (sign-extended from
 * 32 bits) of a location to adjust by the virtual offset (the inverse ones: to adjust by minus it).
 *
 * <p>The image is untrusted: sizes, segments and every relocation are checked; what does not hold is a
 * {@link KernelImageException}.
 */
final class KernelPayload {

    /** __START_KERNEL_map: the kernel's virtual addresses are this plus its link-time physical ones. */
    static final long START_KERNEL_MAP = 0xffffffff80000000L;
    /** KERNEL_IMAGE_SIZE with CONFIG_RANDOMIZE_BASE: the image lies somewhere in the first GiB of that map. */
    static final long KERNEL_IMAGE_SIZE = 1L << 30;
    /** boot_params.hdr.loadflags bit 1: KASLR was applied (the kernel then randomizes its memory regions as well). */
    static final int KASLR_FLAG = 0x02;
    /** A decompressed kernel larger than this is refused rather than allocated. */
    static final long MAX_KERNEL = 512L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int LZ4_LEGACY_MAGIC = 0x184c2102;
    private static final int LZ4_LEGACY_BLOCK = 8 << 20;

    /** The stripped vmlinux and its relocations (empty arrays when the kernel has none). */
    record Kernel(ElfImage elf, int[] relocations64, int[] inverse32, int[] relocations32) {
        boolean relocatable() {
            return relocations64.length + inverse32.length + relocations32.length > 0;
        }

        /** Where its last segment ends in memory, at link-time physical addresses. */
        long end() {
            long end = 0;
            for (var s : elf.segments()) {
                end = Math.max(end, s.physical() + s.memorySize());
            }
            return end;
        }
    }

    /** Where {@link #place} put the kernel. */
    record Placement(long physical, long size, long virtualOffset, long entry) {
    }

    private KernelPayload() {
    }

    /** The decompressed kernel of a bzImage, or empty when its payload is in a format the loader leaves to the guest. */
    static Optional<Kernel> decompress(byte[] image, SetupHeader header) {
        if (header.payloadLength() < 8) {
            return Optional.empty();
        }
        int start = Math.toIntExact(header.kernelOffset() + header.payloadOffset());
        int length = Math.toIntExact(header.payloadLength());
        var b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        // Every compressor's output ends with the decompressed size (gzip's ISIZE, or what the build appends).
        long size = Integer.toUnsignedLong(b.getInt(start + length - 4));
        if (size == 0 || size > MAX_KERNEL) {
            throw new KernelImageException("the bzImage says its kernel decompresses to " + size + " bytes; at most " + MAX_KERNEL
                    + " are taken");
        }
        byte[] out;
        if (b.getInt(start) == LZ4_LEGACY_MAGIC) {
            out = lz4Legacy(image, start, length - 4, (int) size);
        } else if ((image[start] & 0xff) == 0x1f && (image[start + 1] & 0xff) == 0x8b) {
            out = gzip(image, start, length, (int) size);
        } else {
            return Optional.empty();
        }
        var elf = ElfImage.parse(out);
        if (!elf.is64()) {
            throw new KernelImageException("the bzImage's payload is not a 64-bit ELF kernel");
        }
        return Optional.of(relocations(elf, out));
    }

    private static byte[] lz4Legacy(byte[] image, int start, int length, int size) {
        byte[] out = new byte[size];
        var b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int at = start + 4;
        int end = start + length;
        int done = 0;
        while (at < end) {
            if (end - at < 4) {
                throw new KernelImageException("the bzImage's LZ4 payload ends inside a block header");
            }
            int block = b.getInt(at);
            at += 4;
            if (block == LZ4_LEGACY_MAGIC) { // frames may be concatenated
                continue;
            }
            if (block <= 0 || block > end - at) {
                throw new KernelImageException("the bzImage's LZ4 payload has a block of " + Integer.toUnsignedString(block)
                        + " bytes where " + (end - at) + " are left");
            }
            done = lz4Block(image, at, block, out, done, Math.min(size, done + LZ4_LEGACY_BLOCK));
            at += block;
        }
        if (done != size) {
            throw new KernelImageException("the bzImage's LZ4 payload decompresses to " + done + " bytes, its trailer says " + size);
        }
        return out;
    }

    /**
     * Decodes one LZ4 block (the block format: sequences of a token, literals and a match copied from up to 64 KiB
     * back) from {@code in[from, from + length)} into {@code out} at {@code at}, no further than {@code limit}; returns
     * where its output ends. Every length and offset is checked: a corrupt block is a {@link KernelImageException}.
     */
    static int lz4Block(byte[] in, int from, int length, byte[] out, int at, int limit) {
        var block = new Lz4Input(in, from, from + length);
        while (true) {
            int token = block.next("a token");
            int literals = block.extended(token >>> 4, limit, "a literal length");
            int p = block.p;
            if (literals > block.end - p || literals > limit - at) {
                throw corrupt("literals run past the block or the kernel's size");
            }
            if (literals <= 16) { // most are short: a loop beats arraycopy's set-up
                for (int k = 0; k < literals; k++) {
                    out[at + k] = in[p + k];
                }
            } else {
                System.arraycopy(in, p, out, at, literals);
            }
            block.p += literals;
            at += literals;
            if (block.p == block.end) { // the last sequence has literals only
                return at;
            }
            int offset = block.next("a match offset") | block.next("a match offset") << 8;
            if (offset == 0 || offset > at) {
                throw corrupt("a match refers to " + offset + " bytes back, " + at + " are written");
            }
            int match = block.extended(token & 15, limit, "a match length") + 4;
            if (match > limit - at) {
                throw corrupt("a match runs past the kernel's size");
            }
            if (offset >= match && match > 16) {
                System.arraycopy(out, at - offset, out, at, match);
                at += match;
            } else { // short, or overlapping (the copy then repeats what it has just written): byte by byte
                for (int k = 0; k < match; k++, at++) {
                    out[at] = out[at - offset];
                }
            }
            if (block.p >= block.end) {
                throw corrupt("the block ends with a match, not with literals");
            }
        }
    }

    /** Where {@link #lz4Block} reads: the block's bytes up to {@code end}, from {@code p}. */
    private static final class Lz4Input {
        final byte[] in;
        final int end;
        int p;

        Lz4Input(byte[] in, int from, int end) {
            this.in = in;
            this.p = from;
            this.end = end;
        }

        int next(String what) {
            if (p >= end) {
                throw corrupt(what + " runs past the block");
            }
            return in[p++] & 0xff;
        }

        /** A 4-bit length of 15 goes on in the bytes after it, each added, while they are 255 (and below {@code limit}). */
        int extended(int n, int limit, String what) {
            if (n != 15) {
                return n;
            }
            int more;
            do {
                more = next(what);
                n += more;
            } while (more == 255 && n < limit);
            return n;
        }
    }

    private static KernelImageException corrupt(String what) {
        return new KernelImageException("the bzImage's LZ4 payload is corrupt: " + what);
    }

    private static byte[] gzip(byte[] image, int start, int length, int size) {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(image, start, length))) {
            byte[] out = in.readNBytes(size);
            if (out.length != size || in.read() != -1) {
                throw new KernelImageException("the bzImage's gzip payload does not decompress to the " + size + " bytes its trailer says");
            }
            return out;
        } catch (IOException e) {
            throw new KernelImageException("the bzImage's gzip payload is corrupt: " + e.getMessage(), e);
        }
    }

    /** The relocation table after the ELF file's last byte, checked for its three zero-separated lists. */
    static Kernel relocations(ElfImage elf, byte[] out) {
        long elfEnd = elf.fileEnd();
        if (elfEnd == out.length) {
            return new Kernel(elf, new int[0], new int[0], new int[0]);
        }
        // Read from the end backwards, as the kernel's decompressor does (arch/x86/boot/compressed/misc.c): the 32-bit
        // relocations, a zero, the inverse 32-bit ones, a zero, the 64-bit ones, a zero; all of it after the ELF file.
        var b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        String[] names = {"32-bit", "inverse 32-bit", "64-bit"};
        int[][] lists = new int[3][];
        long at = out.length - 4L;
        for (int list = 0; list < 3; list++) {
            long last = at;
            while (at >= elfEnd && b.getInt((int) at) != 0) {
                at -= 4;
            }
            if (at < elfEnd) {
                throw new KernelImageException("the kernel's relocation table has no zero before its " + names[list]
                        + " relocations after the ELF file (which ends at offset " + elfEnd + ")");
            }
            lists[list] = new int[(int) ((last - at) / 4)];
            b.position((int) at + 4);
            b.asIntBuffer().get(lists[list]);
            at -= 4;
        }
        return new Kernel(elf, lists[2], lists[1], lists[0]);
    }

    /**
     * Copies the kernel's segments into guest memory, relocated by the virtual offset, at a physical address in
     * [{@code linkBase}, {@code ceiling}); returns where, and the entry point. {@code kaslr}: both chosen at random with
     * {@code random} (a kernel without relocations keeps its link-time virtual addresses), else both at link time.
     */
    static Placement place(GuestMemory memory, Kernel kernel, long linkBase, long alignment, long ceiling, boolean kaslr,
            RandomGenerator random) {
        var elf = kernel.elf();
        for (var s : elf.segments()) {
            if (s.physical() < linkBase) {
                throw new KernelImageException(String.format("the kernel's segment at 0x%x is below its load address 0x%x", s.physical(), linkBase));
            }
        }
        long end = kernel.end();
        long size = end - linkBase;
        if (elf.entry() < linkBase || elf.entry() >= end) {
            throw new KernelImageException(String.format("the kernel's entry 0x%x is outside its image [0x%x, 0x%x)", elf.entry(), linkBase, end));
        }
        if (linkBase + size > ceiling) {
            throw new KernelImageException("the kernel needs memory up to 0x" + Long.toHexString(linkBase + size)
                    + " to boot; the guest's memory below the initrd ends at 0x" + Long.toHexString(ceiling));
        }
        alignment = Math.max(alignment, HUGE_PAGE); // the kernel maps itself with 2 MiB pages
        long physical = linkBase;
        long virtualOffset = 0;
        if (kaslr) {
            long physicalSlots = (ceiling - size - linkBase) / alignment + 1;
            physical = linkBase + random.nextLong(physicalSlots) * alignment;
            if (kernel.relocatable() && size + linkBase <= KERNEL_IMAGE_SIZE) {
                long virtualSlots = (KERNEL_IMAGE_SIZE - size - linkBase) / alignment + 1;
                virtualOffset = random.nextLong(virtualSlots) * alignment;
            }
        }
        // The image's memory, in one piece: the segments are copied into it, their bss zeroed and the relocations applied there.
        MemorySegment image = memory.slice(physical, size);
        for (var s : elf.segments()) {
            long at = s.physical() - linkBase;
            MemorySegment.copy(elf.bytes(), (int) s.offset(), image, ValueLayout.JAVA_BYTE, at, (int) s.fileSize());
            image.asSlice(at + s.fileSize(), s.memorySize() - s.fileSize()).fill((byte) 0);
        }
        if (virtualOffset != 0) {
            relocate(kernel, image, linkBase, virtualOffset);
        }
        return new Placement(physical, size, virtualOffset, physical + (elf.entry() - linkBase));
    }

    /** Adds {@code delta} at every location the relocation table names (subtracts it at the inverse ones). */
    private static void relocate(Kernel kernel, MemorySegment image, long linkBase, long delta) {
        var elf = kernel.elf();
        for (int r : kernel.relocations32()) {
            long at = locate(elf, r, 4) - linkBase;
            image.set(INT, at, (int) (image.get(INT, at) + delta));
        }
        for (int r : kernel.inverse32()) {
            long at = locate(elf, r, 4) - linkBase;
            image.set(INT, at, (int) (image.get(INT, at) - delta));
        }
        for (int r : kernel.relocations64()) {
            long at = locate(elf, r, 8) - linkBase;
            image.set(LONG, at, image.get(LONG, at) + delta);
        }
    }

    /**
     * The link-time physical address of the {@code width}-byte location at kernel address {@code r}, which must lie in
     * one segment's file bytes (what the kernel's decompressor checks too).
     */
    private static long locate(ElfImage elf, int r, int width) {
        long physical = (long) r - START_KERNEL_MAP; // sign-extended: 0xffffffff81000010 is 0x1000010
        for (var s : elf.segments()) {
            if (physical >= s.physical() && physical + width <= s.physical() + s.fileSize()) {
                return physical;
            }
        }
        throw new KernelImageException(String.format("the kernel's relocation of 0x%x is outside its loaded image", r & 0xffffffffL));
    }
}
