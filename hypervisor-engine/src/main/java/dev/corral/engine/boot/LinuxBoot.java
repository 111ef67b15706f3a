package dev.corral.engine.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

import dev.corral.engine.boot.acpi.AcpiTables;
import dev.corral.engine.boot.acpi.Platform;
import dev.corral.engine.memory.GuestMemory;

/**
 * Loads a Linux bzImage for its 64-bit entry (Linux x86 boot protocol 2.12+): the protected-mode kernel at 1 MiB,
 * the initrd at the top of low memory, the command line, the zero page with the e820 map, a GDT and identity page
 * tables for the first 4 GiB; returns the registers to start the boot vCPU with. Given the machine's {@link Platform},
 * it also writes the ACPI tables in the BIOS area (where a scan finds the RSDP) and tells the kernel where the RSDP
 * is through boot_params.acpi_rsdp_addr; if the machine has APICs, the MP table in the EBDA for kernels that
 * read that instead; and if it has PCI, the e820 map reserves its ECAM.
 */
public final class LinuxBoot {

    /** What the loader put where, and how to enter it. */
    public record Plan(EntryState entry, long kernelAddress, long kernelSize, long initrdAddress, long initrdSize, String cmdline) {
    }

    /**
     * Whether the loader decompresses the kernel itself ({@link KernelPayload}); {@code -Dcorral.boot.decompress=guest}
     * leaves it to the kernel's own decompressor, in the guest, as before.
     */
    static final boolean DECOMPRESS_IN_LOADER = !"guest".equals(System.getProperty("corral.boot.decompress", "loader"));
    private static final RandomGenerator KASLR_RANDOM = new SecureRandom();

    /** The 64-bit entry point is 0x200 past the start of the protected-mode kernel. */
    static final long ENTRY_64_OFFSET = 0x200;
    private static final long PAGE = 4096;

    private LinuxBoot() {
    }

    public static Plan load(GuestMemory memory, Path kernel, Path initrd, String cmdline) {
        return load(memory, read(kernel, "kernel"), initrd == null ? null : read(initrd, "initrd"), cmdline);
    }

    public static Plan load(GuestMemory memory, byte[] image, byte[] initrd, String cmdline) {
        return load(memory, image, initrd, cmdline, null);
    }

    /** As {@link #load(GuestMemory, Path, Path, String)}, with the ACPI tables of {@code platform} (null: none). */
    public static Plan load(GuestMemory memory, Path kernel, Path initrd, String cmdline, Platform platform) {
        return load(memory, read(kernel, "kernel"), initrd == null ? null : read(initrd, "initrd"), cmdline, platform);
    }

    /**
     * Loads the kernel; with a {@code platform}, also the firmware tables that describe it (null: none, the
     * kernel finds no ACPI and sees one CPU on the PICs).
     */
    public static Plan load(GuestMemory memory, byte[] image, byte[] initrd, String cmdline, Platform platform) {
        return load(memory, image, initrd, cmdline, platform, DECOMPRESS_IN_LOADER, KASLR_RANDOM);
    }

    /**
     * As {@link #load(GuestMemory, byte[], byte[], String, Platform)}; {@code decompress}: the loader decompresses the kernel
     * when it knows the payload's format ({@link KernelPayload}), else the kernel's own decompressor runs in the guest;
     * {@code random} draws the KASLR placement.
     */
    static Plan load(GuestMemory memory, byte[] image, byte[] initrd, String cmdline, Platform platform, boolean decompress,
            RandomGenerator random) {
        var header = SetupHeader.parse(image);
        byte[] line = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.US_ASCII);
        long maxCmdline = Math.min(header.cmdlineSize() == 0 ? 255 : header.cmdlineSize(), Layout.CMDLINE_MAX - 1);
        if (line.length > maxCmdline) {
            throw new KernelImageException("the command line is " + line.length + " bytes; this kernel takes at most " + maxCmdline);
        }
        long kernelSize = image.length - header.kernelOffset();
        long lowEnd = lowMemoryEnd(memory);
        var payload = decompress && header.relocatable() ? KernelPayload.decompress(image, header) : Optional.<KernelPayload.Kernel>empty();
        // The kernel decompresses itself in place: it needs init_size bytes from its load address, not just its file size.
        // Decompressed here, it needs its image from its link-time load address (where KASLR's choices start).
        long kernelEnd = payload.isPresent() ? Math.max(header.prefAddress(), payload.get().end())
                : Layout.HIGH_MEMORY + Math.max(kernelSize, header.initSize());
        if (kernelEnd > lowEnd) {
            throw new KernelImageException("the kernel needs memory up to 0x" + Long.toHexString(kernelEnd) + " to boot; the guest has "
                    + (lowEnd >> 20) + " MiB below 4 GiB");
        }

        long initrdAddress = 0;
        long initrdSize = 0;
        if (initrd != null && initrd.length > 0) {
            initrdSize = initrd.length;
            long top = Math.min(lowEnd, header.initrdAddrMax() + 1);
            initrdAddress = (top - initrdSize) & -PAGE;
            if (initrdAddress < kernelEnd) {
                throw new KernelImageException("the initrd (" + initrdSize + " bytes) does not fit between the kernel and 0x"
                        + Long.toHexString(top) + ": give the VM more memory");
            }
        }
        long entryPoint;
        long kernelAddress;
        boolean kaslr = false;
        if (payload.isPresent()) {
            kaslr = !hasWord(cmdline, "nokaslr");
            var placed = KernelPayload.place(memory, payload.get(), header.prefAddress(), header.kernelAlignment(),
                    initrdSize > 0 ? initrdAddress : lowEnd, kaslr, random);
            entryPoint = placed.entry();
            kernelAddress = placed.physical();
            kernelSize = placed.size();
        } else {
            memory.write(Layout.HIGH_MEMORY, java.util.Arrays.copyOfRange(image, (int) header.kernelOffset(), image.length));
            entryPoint = Layout.HIGH_MEMORY + ENTRY_64_OFFSET;
            kernelAddress = Layout.HIGH_MEMORY;
        }
        if (initrdSize > 0) {
            memory.write(initrdAddress, initrd);
        }

        byte[] terminated = java.util.Arrays.copyOf(line, line.length + 1);
        memory.write(Layout.CMDLINE, terminated);
        long rsdp = platform == null ? 0 : writeFirmwareTables(memory, platform);
        var e820 = E820.of(memory, reserved(platform));
        ZeroPage.write(memory, Layout.ZERO_PAGE, image, header, Layout.CMDLINE, initrdAddress, initrdSize, e820, rsdp);
        if (kaslr) { // as the kernel's decompressor says when it applied KASLR
            memory.writeByte(Layout.ZERO_PAGE + ZeroPage.LOADFLAGS, (byte) (memory.readByte(Layout.ZERO_PAGE + ZeroPage.LOADFLAGS)
                    | KernelPayload.KASLR_FLAG));
        }
        BootTables.writeGdt(memory);
        BootTables.writeIdentityPageTables(memory);
        var entry = BootTables.longModeEntry(entryPoint, Layout.ZERO_PAGE);
        return new Plan(entry, kernelAddress, kernelSize, initrdAddress, initrdSize, cmdline == null ? "" : cmdline);
    }

    /** Whether the command line holds {@code word} as a whole word (as the kernel's cmdline_find_option_bool reads it). */
    static boolean hasWord(String cmdline, String word) {
        if (cmdline == null) {
            return false;
        }
        for (String w : cmdline.trim().split("\\s+")) {
            if (w.equals(word)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes the ACPI tables, and the MP table if there are APICs (for kernels that read it instead; it numbers the
     * processors' local APICs 0..n-1, as {@link Platform#pc} does); returns the RSDP's address.
     */
    static long writeFirmwareTables(GuestMemory memory, Platform platform) {
        var tables = AcpiTables.build(platform, Layout.ACPI_TABLES);
        if (tables.end() > Layout.BIOS_AREA_END) {
            throw new KernelImageException("the ACPI tables of this machine take " + (tables.end() - tables.base()) + " bytes, more than the "
                    + (Layout.BIOS_AREA_END - Layout.ACPI_TABLES) + " of the BIOS area they go in");
        }
        tables.writeTo(memory);
        // The MP table numbers processors 0..n-1 in 8 bits: past MpTable.MAX_CPUS only the MADT can describe them.
        int cpus = platform.apicIds().size();
        if (cpus <= MpTable.MAX_CPUS) {
            platform.apics().ifPresent(apics -> MpTable.write(memory, Layout.EBDA_START, cpus, apics.ioApicId()));
        }
        return tables.rsdp();
    }

    /** What the platform's firmware reserves outside RAM in the e820 map: the PCI host bridge's ECAM. */
    static List<E820.Entry> reserved(Platform platform) {
        if (platform == null) {
            return List.of();
        }
        return platform.pci().map(pci -> List.of(new E820.Entry(pci.ecamBase(), pci.ecamSize(), E820.RESERVED))).orElse(List.of());
    }

    /** The end of the memory region that starts at 0 (the loader's structures and the kernel live there). */
    static long lowMemoryEnd(GuestMemory memory) {
        for (var region : memory.regions()) {
            if (region.guestAddress() == 0) {
                return Math.min(region.size(), 1L << 32);
            }
        }
        throw new KernelImageException("the guest has no memory at address 0, where the boot structures go");
    }

    static byte[] read(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new KernelImageException("cannot read the " + what + " " + file + ": " + e.getMessage(), e);
        }
    }
}
