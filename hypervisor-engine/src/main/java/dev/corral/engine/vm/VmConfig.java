package dev.corral.engine.vm;

import java.util.List;
import java.util.Objects;

import dev.corral.engine.net.NetBackend;
import dev.corral.engine.storage.BlockImage;

/**
 * What a VM is made of. Checked when built: a bad value throws {@link VmException} saying which.
 *
 * @param name        for thread names and messages; not blank
 * @param vcpus       1-255. Under KVM with its in-kernel irqchip every vCPU runs (the application processors wait
 *                    for INIT/SIPI from the guest); on the software CPU only vCPU 0 runs for now (it has no local APIC)
 * @param memoryBytes guest RAM at guest-physical 0, a multiple of 4 KiB, at least {@link #MIN_MEMORY_BYTES}
 * @param kernel      a bzImage with a 64-bit entry (boot protocol 2.12+), or an ELF kernel with a PVH entry note
 *                    (an uncompressed vmlinux; under KVM only, the software CPU has no 32-bit mode yet); not empty
 * @param initrd      an initial ramdisk, or null
 * @param cmdline     the kernel command line; null means empty
 * @param debugExit   whether the guest may end the VM with a status through port 0x501 (test guests only)
 * @param disks       virtio-blk disks, at most {@link #MAX_DISKS}, in the order the guest names them (vda, vdb, ...);
 *                    null means none. Until the machine splits RAM around the PCI hole, a VM with disks has at most
 *                    2816 MiB (RAM below the ECAM window at 0xb0000000; see PciDevices)
 * @param accelerator what runs the vCPUs: {@link VmAccelerator#KVM}, {@link VmAccelerator#EMULATED} or
 *                    {@link VmAccelerator#AUTO}; null means emulated
 * @param nics        virtio-net interfaces, at most {@link #MAX_NICS}, in the order the guest names them (eth0, ...);
 *                    null means none
 */
public record VmConfig(String name, int vcpus, long memoryBytes, byte[] kernel, byte[] initrd, String cmdline, boolean debugExit,
        List<Disk> disks, VmAccelerator accelerator, List<Nic> nics) {

    /**
     * A network interface: where its frames go (opened by the caller, who closes it after closing the VM) and its MAC,
     * six colon-separated hex bytes of a unicast address ({@code 02:c0:ff:ee:00:01}).
     */
    public record Nic(NetBackend backend, String mac) {
        private static final java.util.regex.Pattern MAC = java.util.regex.Pattern.compile("(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");

        public Nic {
            Objects.requireNonNull(backend, "backend");
            if (mac == null || !MAC.matcher(mac).matches() || (Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0) {
                throw new VmException("a NIC's MAC is six colon-separated hex bytes of a unicast address, not \"" + mac + "\"");
            }
        }

        /** The MAC's six bytes. */
        public byte[] macBytes() {
            return java.util.HexFormat.ofDelimiter(":").parseHex(mac);
        }
    }

    public static final int MAX_NICS = 4;

    /**
     * A disk: the image (opened by the caller, who closes it after closing the VM) and the serial number the guest
     * reads (/sys/block/vda/serial), at most 20 ASCII bytes.
     */
    public record Disk(BlockImage image, String serial) {
        public Disk {
            Objects.requireNonNull(image, "image");
            if (serial == null || serial.length() > 20 || !serial.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new VmException("a disk serial is at most 20 printable ASCII characters, not \"" + serial + "\"");
            }
        }
    }

    public static final int MAX_DISKS = 8;

    public static final long MIN_MEMORY_BYTES = 4L << 20;
    public static final int MAX_VCPUS = 255;
    private static final long PAGE = 4096;

    public VmConfig {
        if (name == null || name.isBlank()) {
            throw new VmException("a VM needs a name");
        }
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new VmException("VM " + name + ": " + vcpus + " vCPUs is not in 1-" + MAX_VCPUS);
        }
        if (memoryBytes < MIN_MEMORY_BYTES || memoryBytes % PAGE != 0) {
            throw new VmException("VM " + name + ": memory of " + memoryBytes + " bytes is not a multiple of 4 KiB of at least "
                    + (MIN_MEMORY_BYTES >> 20) + " MiB");
        }
        if (kernel == null || kernel.length == 0) {
            throw new VmException("VM " + name + ": no kernel image");
        }
        cmdline = cmdline == null ? "" : cmdline;
        disks = disks == null ? List.of() : List.copyOf(disks);
        if (disks.size() > MAX_DISKS) {
            throw new VmException("VM " + name + ": " + disks.size() + " disks is more than " + MAX_DISKS);
        }
        accelerator = accelerator == null ? VmAccelerator.EMULATED : accelerator;
        nics = nics == null ? List.of() : List.copyOf(nics);
        if (nics.size() > MAX_NICS) {
            throw new VmException("VM " + name + ": " + nics.size() + " NICs is more than " + MAX_NICS);
        }
    }

    /** A VM without NICs. */
    public VmConfig(String name, int vcpus, long memoryBytes, byte[] kernel, byte[] initrd, String cmdline, boolean debugExit,
            List<Disk> disks, VmAccelerator accelerator) {
        this(name, vcpus, memoryBytes, kernel, initrd, cmdline, debugExit, disks, accelerator, List.of());
    }

    /** A VM without disks on the software CPU. */
    public VmConfig(String name, int vcpus, long memoryBytes, byte[] kernel, byte[] initrd, String cmdline, boolean debugExit) {
        this(name, vcpus, memoryBytes, kernel, initrd, cmdline, debugExit, List.of(), VmAccelerator.EMULATED);
    }

    /** A VM with {@code disks} on the software CPU. */
    public VmConfig(String name, int vcpus, long memoryBytes, byte[] kernel, byte[] initrd, String cmdline, boolean debugExit,
            List<Disk> disks) {
        this(name, vcpus, memoryBytes, kernel, initrd, cmdline, debugExit, disks, VmAccelerator.EMULATED);
    }

    /** A VM without disks, run by {@code accelerator}. */
    public VmConfig(String name, int vcpus, long memoryBytes, byte[] kernel, byte[] initrd, String cmdline, boolean debugExit,
            VmAccelerator accelerator) {
        this(name, vcpus, memoryBytes, kernel, initrd, cmdline, debugExit, List.of(), accelerator);
    }

    /** The same VM, booted with {@code cmdline}. */
    public VmConfig withCmdline(String cmdline) {
        return new VmConfig(name, vcpus, memoryBytes, kernel, initrd, cmdline, debugExit, disks, accelerator, nics);
    }

    /** The same VM, run by {@code accelerator}. */
    public VmConfig withAccelerator(VmAccelerator accelerator) {
        return new VmConfig(name, vcpus, memoryBytes, kernel, initrd, cmdline, debugExit, disks, accelerator, nics);
    }
}
