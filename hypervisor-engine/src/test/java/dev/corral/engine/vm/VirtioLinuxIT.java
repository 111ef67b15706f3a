package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import dev.corral.engine.devices.virtio.RamDisk;
import dev.corral.engine.guests.DebianPackages;
import org.junit.jupiter.api.Test;

/**
 * Debian's kernel on the software CPU finds the VM's PCI devices through its own drivers (virtio_pci, virtio_blk,
 * virtio-rng, loaded from the initramfs by the virtio check guest, src/test/guests/virtio) and uses them with INTx
 * on the PIC: it reads what the host put on the disk, writes a pattern that reads back equal past its page cache
 * and lands in the host's image, and reads bytes from /dev/hwrng.
 */
class VirtioLinuxIT {

    private static final Path SCRIPT = Path.of("src/test/guests/virtio/build.sh");
    private static final Path OUT = Path.of("target/guests/virtio");
    private static final int MIB = 1 << 20;

    @Test
    void theDebianKernelReadsAndWritesVdaAndReadsHwrngThroughItsVirtioDrivers() throws Exception {
        DebianPackages.run(Path.of("."), "sh", SCRIPT.toString(), OUT.toString());
        var disk = new RamDisk(8 * MIB, false);
        new Random(2026_12_05).nextBytes(disk.bytes);
        byte[] head = java.util.Arrays.copyOf(disk.bytes, MIB);
        var console = new ByteArrayOutputStream();
        var config = new VmConfig("virtio-it", 1, 256L << 20, Files.readAllBytes(OUT.resolve("vmlinuz")),
                Files.readAllBytes(OUT.resolve("initramfs.cpio.gz")), "console=ttyS0 mds=off reboot=k panic=-1", false,
                List.of(new VmConfig.Disk(disk, "corral-vda")));
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
        assertThat(out).contains("pci 0000:00:00.0: [1b36:0008] type 00 class 0x060000",
                "pci 0000:00:01.0: [1af4:1044] type 00 class 0xff0000", "pci 0000:00:02.0: [1af4:1042] type 00 class 0x018000",
                "virtio_blk virtio1: [vda] 16384 512-byte logical blocks");
        assertThat(out).contains("corral virtio: pci 0000:00:01.0 0x1af4:0x1044 class 0xff0000 irq 11 driver virtio-pci",
                "corral virtio: pci 0000:00:02.0 0x1af4:0x1042 class 0x018000 irq 5 driver virtio-pci",
                "corral virtio: vda 16384 sectors serial corral-vda",
                "corral virtio: vda head md5 " + md5(head),
                "corral virtio: pattern read back equal",
                "corral virtio: hwrng virtio_rng.0",
                "corral virtio: hwrng gave 256 bytes: ",
                "corral virtio: done");
        var pattern = Pattern.compile("corral virtio: pattern md5 ([0-9a-f]{32})").matcher(out);
        assertThat(pattern.find()).as(out).isTrue();
        assertThat(md5(java.util.Arrays.copyOfRange(disk.bytes, MIB, 2 * MIB))).isEqualTo(pattern.group(1));
        assertThat(out).doesNotContain("cannot load", "no /dev/vda", "DIFFERENT");
    }

    private static String md5(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
    }
}
