package dev.corral.engine.usermode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Maps a static x86-64 ELF executable (ET_EXEC, or ET_DYN without an interpreter: static-pie) into a
 * {@link UserAddressSpace}. Every offset and size in the file is checked against the file's length
 * before use, so a malformed or truncated file is an {@link ElfFormatException}, never a crash.
 */
public final class ElfLoader {

    static final int PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
    private static final int EHDR_SIZE = 64, PHDR_SIZE = 56, ET_EXEC = 2, ET_DYN = 3, EM_X86_64 = 62;
    /** Where a static-pie is placed (Linux puts ET_DYN executables near 2/3 of the address space). */
    public static final long PIE_BASE = 0x5555_5555_4000L;

    /** What the initial stack and the break need to know about the loaded image. */
    public record Image(long entry, long phdr, int phent, int phnum, long loadBias, long breakStart, boolean executableStack) {}

    private ElfLoader() {}

    public static Image load(byte[] file, UserAddressSpace memory) throws ElfFormatException {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file.length < 4 || file[0] != 0x7f || file[1] != 'E' || file[2] != 'L' || file[3] != 'F') {
            throw new ElfFormatException("not an ELF file: bad magic");
        }
        if (file.length < EHDR_SIZE) {
            throw new ElfFormatException("truncated ELF file: " + file.length + " bytes is shorter than the 64-byte header");
        }
        if (file[4] != 2 || file[5] != 1) {
            throw new ElfFormatException("not a 64-bit little-endian ELF file (class " + file[4] + ", data " + file[5] + ")");
        }
        int type = b.getShort(16) & 0xffff;
        int machine = b.getShort(18) & 0xffff;
        if (machine != EM_X86_64) {
            throw new ElfFormatException("ELF machine " + machine + " is not x86-64 (62)");
        }
        if (type != ET_EXEC && type != ET_DYN) {
            throw new ElfFormatException("ELF type " + type + " is not an executable (ET_EXEC or ET_DYN)");
        }
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xffff;
        int phnum = b.getShort(56) & 0xffff;
        if (phentsize != PHDR_SIZE) {
            throw new ElfFormatException("program header size " + phentsize + " is not 56");
        }
        if (phnum == 0 || phoff < 0 || phoff > file.length || (long) phnum * PHDR_SIZE > file.length - phoff) {
            throw new ElfFormatException("truncated ELF file: " + phnum + " program headers at offset " + phoff
                    + " lie past its end (" + file.length + " bytes)");
        }
        long bias = type == ET_DYN ? PIE_BASE : 0;
        long phdrAddress = -1;
        long highest = 0;
        boolean execStack = true; // without PT_GNU_STACK Linux assumes an executable stack
        boolean anyLoad = false;
        for (int i = 0; i < phnum; i++) {
            int h = (int) phoff + i * PHDR_SIZE;
            int ptype = b.getInt(h);
            int flags = b.getInt(h + 4);
            long offset = b.getLong(h + 8);
            long vaddr = b.getLong(h + 16);
            long filesz = b.getLong(h + 32);
            long memsz = b.getLong(h + 40);
            switch (ptype) {
                case PT_INTERP -> throw new ElfFormatException("dynamically linked (has an interpreter): only static executables run here");
                case PT_GNU_STACK -> execStack = (flags & 1) != 0;
                case PT_PHDR -> phdrAddress = bias + vaddr;
                case PT_LOAD -> {
                    checkSegment(i, offset, vaddr, filesz, memsz, bias, file.length);
                    mapSegment(memory, file, offset, bias + vaddr, filesz, memsz, protOf(flags));
                    highest = Math.max(highest, bias + vaddr + memsz);
                    if (phdrAddress < 0 && phoff >= offset && phoff + (long) phnum * PHDR_SIZE <= offset + filesz) {
                        phdrAddress = bias + vaddr + (phoff - offset);
                    }
                    anyLoad = true;
                }
                default -> { }
            }
        }
        if (!anyLoad) {
            throw new ElfFormatException("ELF file has no loadable segment");
        }
        return new Image(bias + entry, Math.max(phdrAddress, 0), PHDR_SIZE, phnum, bias,
                UserAddressSpace.pageUp(highest), execStack);
    }

    private static void checkSegment(int i, long offset, long vaddr, long filesz, long memsz, long bias, int fileLength)
            throws ElfFormatException {
        if (offset < 0 || filesz < 0 || offset > fileLength || filesz > fileLength - offset) {
            throw new ElfFormatException("truncated ELF file: segment " + i + " (offset " + offset + ", " + filesz
                    + " bytes) lies past its end (" + fileLength + " bytes)");
        }
        if (memsz < filesz) {
            throw new ElfFormatException("segment " + i + " is smaller in memory (" + memsz + ") than in the file (" + filesz + ")");
        }
        long start = bias + vaddr;
        if (vaddr < 0 || start < UserAddressSpace.MMAP_FLOOR / 16 || memsz > UserAddressSpace.USER_END
                || start > UserAddressSpace.USER_END - memsz) {
            throw new ElfFormatException("segment " + i + " at 0x" + Long.toHexString(start) + " (" + memsz
                    + " bytes) is outside user space");
        }
        if ((vaddr - offset) % UserAddressSpace.PAGE_SIZE != 0) {
            throw new ElfFormatException("segment " + i + ": address and file offset differ modulo the page size");
        }
    }

    private static void mapSegment(UserAddressSpace memory, byte[] file, long offset, long address, long filesz, long memsz, int prot) {
        long first = address & ~0xfffL;
        long end = UserAddressSpace.pageUp(address + memsz);
        long page = UserAddressSpace.PAGE_SIZE;
        // Two segments may share a page (end of text, start of data): keep its bytes, join the rights.
        // Only the first and the last page can be shared, so the rest is mapped in one call however large.
        long from = first, to = end;
        if (memory.isMapped(first, page)) {
            memory.protect(first, page, prot | memory.protectionAt(first));
            from += page;
        }
        if (to - page >= from && memory.isMapped(to - page, page)) {
            memory.protect(to - page, page, prot | memory.protectionAt(to - page));
            to -= page;
        }
        if (from < to) {
            memory.map(from, to - from, prot);
        }
        // As mmap of the file would: the bytes before the segment in its first page come from the file too.
        long lead = address - first;
        memory.poke(first, file, (int) (offset - lead), (int) (filesz + lead));
    }

    static int protOf(int elfFlags) {
        int prot = 0;
        if ((elfFlags & 4) != 0) prot |= UserAddressSpace.PROT_READ;
        if ((elfFlags & 2) != 0) prot |= UserAddressSpace.PROT_WRITE;
        if ((elfFlags & 1) != 0) prot |= UserAddressSpace.PROT_EXEC;
        return prot;
    }
}
