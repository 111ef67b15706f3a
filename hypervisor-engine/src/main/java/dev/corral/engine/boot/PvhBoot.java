package dev.corral.engine.boot;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import dev.corral.engine.memory.GuestMemory;

/**
 * Loads an ELF kernel with a PVH entry note (an uncompressed Linux vmlinux, or a small guest) the way Xen's PVH
 * boot ABI specifies: segments at their physical addresses, {@code struct hvm_start_info} with the command line,
 * the initrd as module 0 and the memory map, and the boot vCPU in 32-bit protected mode, paging off, EBX pointing
 * at the start info.
 */
public final class PvhBoot {

    /** struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h), version 1: 56 bytes. */
    static final int START_INFO_MAGIC = 0x336ec578;
    static final int MEMMAP_ENTRY = 24;   // struct hvm_memmap_table_entry: addr, size, type, reserved
    static final int MODLIST_ENTRY = 32;  // struct hvm_modlist_entry: paddr, size, cmdline_paddr, reserved
    static final int MEMMAP_MAX = (int) ((Layout.PVH_MODLIST - Layout.PVH_MEMMAP) / MEMMAP_ENTRY);

    private PvhBoot() {
    }

    /** Zeroes a segment's bss, a MiB at a time (it can be larger than an array). */
    private static void zero(GuestMemory memory, long at, long length) {
        byte[] zeros = new byte[(int) Math.min(length, 1 << 20)];
        for (long done = 0; done < length; done += zeros.length) {
            memory.write(at + done, length - done >= zeros.length ? zeros : new byte[(int) (length - done)]);
        }
    }

    public static LinuxBoot.Plan load(GuestMemory memory, Path kernel, Path initrd, String cmdline) {
        return load(memory, LinuxBoot.read(kernel, "kernel"), initrd == null ? null : LinuxBoot.read(initrd, "initrd"), cmdline);
    }

    public static LinuxBoot.Plan load(GuestMemory memory, byte[] file, byte[] initrd, String cmdline) {
        var elf = ElfImage.parse(file);
        long entry = elf.pvhEntry().orElseThrow(() -> new KernelImageException(
                "the ELF kernel has no PVH entry note (Xen ELF note PHYS32_ENTRY); boot a bzImage instead"));
        long lowEnd = LinuxBoot.lowMemoryEnd(memory);
        long kernelStart = Long.MAX_VALUE;
        long kernelEnd = 0;
        for (var s : elf.segments()) {
            if (s.physical() < Layout.HIGH_MEMORY || s.physical() + s.memorySize() > lowEnd) {
                throw new KernelImageException(String.format("ELF segment [0x%x, 0x%x) is outside the guest's memory above 1 MiB (ends 0x%x)",
                        s.physical(), s.physical() + s.memorySize(), lowEnd));
            }
            memory.write(s.physical(), Arrays.copyOfRange(elf.bytes(), (int) s.offset(), (int) (s.offset() + s.fileSize())));
            zero(memory, s.physical() + s.fileSize(), s.memorySize() - s.fileSize());
            kernelStart = Math.min(kernelStart, s.physical());
            kernelEnd = Math.max(kernelEnd, s.physical() + s.memorySize());
        }
        if (entry < kernelStart || entry >= kernelEnd) {
            throw new KernelImageException(String.format("the PVH entry 0x%x is outside the loaded kernel [0x%x, 0x%x)", entry, kernelStart, kernelEnd));
        }
        byte[] line = (cmdline == null ? "" : cmdline).getBytes(StandardCharsets.US_ASCII);
        if (line.length >= Layout.CMDLINE_MAX) {
            throw new KernelImageException("the command line is " + line.length + " bytes; at most " + (Layout.CMDLINE_MAX - 1) + " fit");
        }
        memory.write(Layout.CMDLINE, Arrays.copyOf(line, line.length + 1));

        long initrdAddress = 0;
        long initrdSize = initrd == null ? 0 : initrd.length;
        if (initrdSize > 0) {
            initrdAddress = (lowEnd - initrdSize) & -4096L;
            if (initrdAddress < kernelEnd) {
                throw new KernelImageException("the initrd (" + initrdSize + " bytes) does not fit above the kernel: give the VM more memory");
            }
            memory.write(initrdAddress, initrd);
            memory.writeLong(Layout.PVH_MODLIST, initrdAddress);
            memory.writeLong(Layout.PVH_MODLIST + 8, initrdSize);
            memory.writeLong(Layout.PVH_MODLIST + 16, 0);
            memory.writeLong(Layout.PVH_MODLIST + 24, 0);
        }
        var map = E820.of(memory);
        if (map.size() > MEMMAP_MAX) {
            throw new IllegalStateException("a memory map of " + map.size() + " entries does not fit the PVH memory map area");
        }
        for (int i = 0; i < map.size(); i++) {
            long at = Layout.PVH_MEMMAP + (long) MEMMAP_ENTRY * i;
            memory.writeLong(at, map.get(i).address());
            memory.writeLong(at + 8, map.get(i).size());
            memory.writeInt(at + 16, map.get(i).type());
            memory.writeInt(at + 20, 0);
        }
        long info = Layout.PVH_INFO;
        memory.writeInt(info, START_INFO_MAGIC);
        memory.writeInt(info + 4, 1);
        memory.writeInt(info + 8, 0);
        memory.writeInt(info + 12, initrdSize > 0 ? 1 : 0);
        memory.writeLong(info + 16, initrdSize > 0 ? Layout.PVH_MODLIST : 0);
        memory.writeLong(info + 24, Layout.CMDLINE);
        memory.writeLong(info + 32, 0);
        memory.writeLong(info + 40, Layout.PVH_MEMMAP);
        memory.writeInt(info + 48, map.size());
        memory.writeInt(info + 52, 0);
        BootTables.writeGdt(memory);
        return new LinuxBoot.Plan(BootTables.protectedModeEntry(entry, info), kernelStart, kernelEnd - kernelStart, initrdAddress,
                initrdSize, cmdline == null ? "" : cmdline);
    }
}
