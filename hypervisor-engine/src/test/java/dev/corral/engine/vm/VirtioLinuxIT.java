package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Pattern;

import dev.corral.engine.devices.virtio.RamDisk;
import dev.corral.engine.guests.DebianPackages;
import org.junit.jupiter.api.Test;

/**
 * Debian's kernel on the software CPU, with ACPI on and its stock command line, finds the PCI host bridge in the DSDT
 * (PCI0, with its ECAM reserved, and the MCFG), uses ECAM for the extended configuration space, routes the devices'
 * INTx through the _PRT to the IOAPIC's PCI pins (GSI 16-19, level, active low), takes their interrupts as MSI-X
 * messages through the local APIC (the machine the agent builds for a tenant's VM), and uses the VM's
 * devices through its own drivers (virtio_pci, virtio_blk, virtio-rng, loaded from the initramfs by the virtio check
 * guest, src/test/guests/virtio): it reads what the host put on each disk, writes a pattern to vda that reads back
 * equal past its page cache and lands in the host's image, reads bytes from /dev/hwrng, and powers off through S5.
 */
class VirtioLinuxIT {

    private static final Path SCRIPT = Path.of("src/test/guests/virtio/build.sh");
    private static final Path OUT = Path.of("target/guests/virtio");
    private static final int MIB = 1 << 20;
    private static final int DISKS = 4;

    @Test
    void theDebianKernelFindsPciThroughAcpiAndUsesEveryDiskAndHwrngThroughItsVirtioDrivers() throws Exception {
        DebianPackages.run(Path.of("."), "sh", SCRIPT.toString(), OUT.toString());
        var disks = new ArrayList<RamDisk>();
        var configDisks = new ArrayList<VmConfig.Disk>();
        for (int i = 0; i < DISKS; i++) {
            var disk = new RamDisk(8 * MIB, false);
            new Random(2026_12_05 + i).nextBytes(disk.bytes);
            disks.add(disk);
            configDisks.add(new VmConfig.Disk(disk, "corral-vd" + (char) ('a' + i)));
        }
        var heads = disks.stream().map(d -> java.util.Arrays.copyOf(d.bytes, MIB)).toList();
        var console = new ByteArrayOutputStream();
        var config = new VmConfig("virtio-it", 1, 256L << 20, Files.readAllBytes(OUT.resolve("vmlinuz")),
                Files.readAllBytes(OUT.resolve("initramfs.cpio")), "console=ttyS0 panic=-1", false, configDisks);
        VirtualMachine.Outcome outcome;
        try (var vm = VirtualMachine.create(config, b -> {
            synchronized (console) {
                console.write(b);
            }
        }, new VirtualMachine.Listener() {
            @Override
            public void started() {
            }

            @Override
            public void finished(VirtualMachine.Outcome o) {
            }
        })) {
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofMinutes(8))).as("the guest finished").isTrue();
            outcome = vm.outcome().orElseThrow();
        }
        String out;
        synchronized (console) {
            out = console.toString(StandardCharsets.UTF_8).replace("\r", "");
        }
        assertThat(outcome).as(out).isEqualTo(new VirtualMachine.Outcome.PoweredOff(0));
        // The bridge through ACPI, ECAM trusted because the e820 map reserves it, the windows of PCI0's _CRS.
        assertThat(out).contains("ACPI: MCFG ", "BIOS-e820: [mem 0x00000000b0000000-0x00000000b00fffff] reserved",
                "PCI: MMCONFIG for domain 0000 [bus 00-00] at [mem 0xb0000000-0xb00fffff] (base 0xb0000000)",
                "PCI: MMCONFIG at [mem 0xb0000000-0xb00fffff] reserved in E820",
                "ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00])",
                "acpi PNP0A08:00: _OSC: OS now controls [",
                "pci_bus 0000:00: root bus resource [io  0x0000-0x0cf7 window]",
                "pci_bus 0000:00: root bus resource [io  0x0d00-0xffff window]",
                "pci_bus 0000:00: root bus resource [mem 0xc0000000-0xfebfffff window]",
                "pci_bus 0000:00: root bus resource [bus 00]",
                "system 00:04: [mem 0xb0000000-0xb00fffff] has been reserved",
                "pci 0000:00:00.0: [1b36:0008] type 00 class 0x060000", "pci 0000:00:01.0: [1af4:1044] type 00 class 0xff0000",
                "pci 0000:00:02.0: [1af4:1042] type 00 class 0x018000", "virtio_blk virtio1: [vda] 16384 512-byte logical blocks");
        // The kernel read the host bridge's extended configuration space (only ECAM reaches it), and routed INTx through
        // the _PRT: rng on link B (GSI 17), disks on C, D, A, B (18, 19, 16, 17): the IOAPIC's PCI pins.
        assertThat(out).contains("corral virtio: host bridge config space 4096 bytes",
                "corral virtio: iomem b0000000-b00fffff : PCI MMCONFIG 0000 [bus 00-00]",
                "corral virtio: pci 0000:00:01.0 0x1af4:0x1044 class 0xff0000 irq 17 driver virtio-pci",
                "corral virtio: pci 0000:00:02.0 0x1af4:0x1042 class 0x018000 irq 18 driver virtio-pci",
                "corral virtio: pci 0000:00:03.0 0x1af4:0x1042 class 0x018000 irq 19 driver virtio-pci",
                "corral virtio: pci 0000:00:04.0 0x1af4:0x1042 class 0x018000 irq 16 driver virtio-pci",
                "corral virtio: pci 0000:00:05.0 0x1af4:0x1042 class 0x018000 irq 17 driver virtio-pci");
        for (int i = 0; i < DISKS; i++) {
            String name = "vd" + (char) ('a' + i);
            assertThat(out).contains("corral virtio: " + name + " 16384 sectors serial corral-" + name,
                    "corral virtio: " + name + " head md5 " + md5(heads.get(i)));
        }
        assertThat(out).contains("corral virtio: pattern read back equal", "corral virtio: hwrng virtio_rng.0",
                "corral virtio: hwrng gave 256 bytes: ", "corral virtio: done", "reboot: Power down");
        // Every device took its interrupts as MSI-X messages through the local APIC: the disks' request queues and the
        // rng's input queue each counted some.
        for (String queue : new String[] {"virtio0-input", "virtio1-req.0", "virtio2-req.0", "virtio3-req.0", "virtio4-req.0"}) {
            assertThat(out).containsPattern("corral virtio: interrupts .* [0-9]+: +[1-9][0-9]* +PCI-MSI +[0-9]+-edge +" + queue + ";");
        }
        var pattern = Pattern.compile("corral virtio: pattern md5 ([0-9a-f]{32})").matcher(out);
        assertThat(pattern.find()).as(out).isTrue();
        assertThat(md5(java.util.Arrays.copyOfRange(disks.getFirst().bytes, MIB, 2 * MIB))).isEqualTo(pattern.group(1));
        assertThat(out).doesNotContain("cannot load", "no /dev/vda", "DIFFERENT", "ACPI Error", "ACPI BIOS Error", "ACPI Warning",
                "ACPI Exception", "_OSC failed", "platform retains control", "Firmware Bug", "FW_BUG", "not using MMCONFIG",
                "setting ELCR", "can't derive routing", "no GSI");
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}
