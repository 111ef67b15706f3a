package dev.corral.engine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * An x86 ELF executable (32- or 64-bit, little-endian) as a VM loader sees it: its loadable segments at their
 * physical addresses, and its notes. Every offset and size is checked against the file before it is used.
 */
public final class ElfImage {

    /** A PT_LOAD segment: {@code fileSize} bytes from {@code offset} to {@code physical}, then zeros up to {@code memorySize}. */
    public record Segment(long physical, long offset, long fileSize, long memorySize) {
    }

    static final int PT_LOAD = 1;
    static final int PT_NOTE = 4;
    static final int EM_386 = 3;
    static final int EM_X86_64 = 62;
    /** Xen's PVH entry note: name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY, a 32-bit physical entry address. */
    static final int XEN_ELFNOTE_PHYS32_ENTRY = 18;

    private final byte[] file;
    private final boolean is64;
    private final long entry;
    private final List<Segment> segments = new ArrayList<>();
    private final List<long[]> notes = new ArrayList<>(); // {offset, size} of each PT_NOTE
    /** The offset just past the last thing the headers describe: what follows is not part of the ELF file. */
    private long fileEnd;

    private ElfImage(byte[] file) {
        this.file = file;
        if (file.length < 52 || file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' || file[3] != 'F') {
            throw new KernelImageException("not an ELF file (no \\x7fELF magic)");
        }
        if (file[5] != 1) {
            throw new KernelImageException("not a little-endian ELF file");
        }
        is64 = file[4] == 2;
        if (!is64 && file[4] != 1) {
            throw new KernelImageException("unknown ELF class " + file[4]);
        }
        var b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_X86_64 && machine != EM_386) {
            throw new KernelImageException("not an x86 ELF file (e_machine " + machine + ")");
        }
        if (is64 && file.length < 64) {
            throw new KernelImageException("truncated ELF header");
        }
        entry = is64 ? b.getLong(0x18) : Integer.toUnsignedLong(b.getInt(0x18));
        long phoff = is64 ? b.getLong(0x20) : Integer.toUnsignedLong(b.getInt(0x1c));
        int phentsize = Short.toUnsignedInt(b.getShort(is64 ? 0x36 : 0x2a));
        int phnum = Short.toUnsignedInt(b.getShort(is64 ? 0x38 : 0x2c));
        if (phentsize < (is64 ? 56 : 32) || phoff < 0 || phoff + (long) phentsize * phnum > file.length) {
            throw new KernelImageException("truncated or malformed ELF program headers (" + phnum + " at offset " + phoff + ")");
        }
        fileEnd = phoff + (long) phentsize * phnum;
        if (is64) {
            long shoff = b.getLong(0x28);
            long sections = (long) Short.toUnsignedInt(b.getShort(0x3a)) * Short.toUnsignedInt(b.getShort(0x3c));
            if (shoff > 0 && sections > 0) {
                if (shoff > file.length - sections) {
                    throw new KernelImageException("truncated or malformed ELF section headers (at offset " + shoff + ")");
                }
                fileEnd = Math.max(fileEnd, shoff + sections);
            }
        }
        for (int i = 0; i < phnum; i++) {
            int h = (int) (phoff + (long) i * phentsize);
            int type = b.getInt(h);
            long offset = is64 ? b.getLong(h + 8) : Integer.toUnsignedLong(b.getInt(h + 4));
            long physical = is64 ? b.getLong(h + 24) : Integer.toUnsignedLong(b.getInt(h + 12));
            long fileSize = is64 ? b.getLong(h + 32) : Integer.toUnsignedLong(b.getInt(h + 16));
            long memorySize = is64 ? b.getLong(h + 40) : Integer.toUnsignedLong(b.getInt(h + 20));
            if (type != PT_LOAD && type != PT_NOTE) {
                continue;
            }
            if (offset < 0 || fileSize < 0 || offset + fileSize > file.length || offset + fileSize < offset) {
                throw new KernelImageException("truncated ELF file: segment " + i + " reaches past the end of the " + file.length + "-byte file");
            }
            fileEnd = Math.max(fileEnd, offset + fileSize);
            if (type == PT_LOAD) {
                if (memorySize < fileSize || physical < 0 || physical + memorySize < physical) {
                    throw new KernelImageException("malformed ELF segment " + i + ": memory size below file size or address overflow");
                }
                segments.add(new Segment(physical, offset, fileSize, memorySize));
            } else {
                notes.add(new long[] {offset, fileSize});
            }
        }
        if (segments.isEmpty()) {
            throw new KernelImageException("the ELF file has nothing to load (no PT_LOAD segment)");
        }
    }

    public static ElfImage parse(byte[] file) {
        return new ElfImage(file);
    }

    public List<Segment> segments() {
        return segments;
    }

    public long entry() {
        return entry;
    }

    public boolean is64() {
        return is64;
    }

    byte[] bytes() {
        return file;
    }

    /** The offset just past the headers, segments and section headers (64-bit files): trailing data starts there. */
    long fileEnd() {
        return fileEnd;
    }

    /** The PVH entry point from the Xen PHYS32_ENTRY note, if the image has one. */
    public OptionalLong pvhEntry() {
        var b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] note : notes) {
            long at = note[0];
            long end = note[0] + note[1];
            while (at + 12 <= end) {
                long nameSize = Integer.toUnsignedLong(b.getInt((int) at));
                long descSize = Integer.toUnsignedLong(b.getInt((int) at + 4));
                int type = b.getInt((int) at + 8);
                long name = at + 12;
                long desc = name + align4(nameSize);
                long next = desc + align4(descSize);
                if (next > end || next <= at) {
                    throw new KernelImageException("malformed ELF note at offset " + at);
                }
                if (type == XEN_ELFNOTE_PHYS32_ENTRY && nameSize == 4 && file[(int) name] == 'X' && file[(int) name + 1] == 'e'
                        && file[(int) name + 2] == 'n' && (descSize == 4 || descSize == 8)) {
                    return OptionalLong.of(descSize == 4 ? Integer.toUnsignedLong(b.getInt((int) desc)) : b.getLong((int) desc));
                }
                at = next;
            }
        }
        return OptionalLong.empty();
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }
}
