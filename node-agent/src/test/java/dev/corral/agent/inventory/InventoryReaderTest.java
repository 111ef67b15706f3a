package dev.corral.agent.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.corral.api.PciDevice;
import dev.corral.engine.host.Accelerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InventoryReaderTest {

    @TempDir
    Path root;

    private void write(String path, String content) throws IOException {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private void pci(String address, String vendor, String device, String klass, int numa, String driver) throws IOException {
        String dir = "sys/bus/pci/devices/" + address + "/";
        write(dir + "vendor", "0x" + vendor + "\n");
        write(dir + "device", "0x" + device + "\n");
        write(dir + "class", "0x" + klass + "\n");
        write(dir + "numa_node", numa + "\n");
        if (driver != null) {
            Path drivers = Files.createDirectories(root.resolve("sys/bus/pci/drivers/" + driver));
            Files.createSymbolicLink(root.resolve(dir + "driver"), drivers);
        }
    }

    private void group(int id, String... addresses) throws IOException {
        for (String a : addresses) {
            write("sys/kernel/iommu_groups/" + id + "/devices/" + a, "");
        }
    }

    /** A two-socket GPU server, laid out the way its sysfs is. */
    @Test
    void readsAGpuServer() throws IOException {
        write("sys/devices/system/cpu/online", "0-63,96-127\n");
        write("proc/meminfo", "MemTotal:       528280076 kB\nMemFree:        1000 kB\n");
        write("sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1024\n");
        write("sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "4\n");
        Files.createDirectories(root.resolve("sys/devices/system/node/node0"));
        Files.createDirectories(root.resolve("sys/devices/system/node/node1"));
        Files.createDirectories(root.resolve("sys/devices/system/node/possible").getParent());
        write("sys/devices/system/node/possible", "0-1\n");
        pci("0000:00:00.0", "8086", "09a2", "060000", 0, null);
        pci("0000:3b:00.0", "10de", "2330", "030200", 0, "vfio-pci");
        pci("0000:3b:00.1", "10de", "22a3", "040300", 0, "vfio-pci");
        pci("0000:af:00.0", "10de", "2330", "030200", 1, "nvidia");
        group(0, "0000:00:00.0");
        group(21, "0000:3b:00.0", "0000:3b:00.1");
        group(22, "0000:af:00.0");
        write("dev/kvm", "");
        write("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme vmx ept\n");

        var inventory = new InventoryReader(root).read();

        assertThat(inventory.vcpus()).isEqualTo(96);
        assertThat(inventory.memoryMiB()).isEqualTo(528280076L / 1024);
        assertThat(inventory.hugepages2Mi()).isEqualTo(1024);
        assertThat(inventory.hugepages1Gi()).isEqualTo(4);
        assertThat(inventory.numaNodes()).isEqualTo(2);
        assertThat(inventory.accelerator().accelerator()).isEqualTo(Accelerator.KVM_HARDWARE);
        assertThat(inventory.devices()).containsExactly(
                new PciDevice("0000:00:00.0", "8086", "09a2", "0600", null, 0, 0, null, null),
                new PciDevice("0000:3b:00.0", "10de", "2330", "0302", null, 0, 21, "vfio-pci", null),
                new PciDevice("0000:3b:00.1", "10de", "22a3", "0403", null, 0, 21, "vfio-pci", null),
                new PciDevice("0000:af:00.0", "10de", "2330", "0302", null, 1, 22, "nvidia", null));
    }

    @Test
    void aHostWithoutIommuHasDevicesButNoGroups() throws IOException {
        write("proc/meminfo", "MemTotal: 2048000 kB\n");
        pci("0000:00:04.0", "1af4", "1000", "020000", -1, null);
        var inventory = new InventoryReader(root).read();
        assertThat(inventory.devices()).singleElement().satisfies(d -> {
            assertThat(d.iommuGroup()).isNull();
            assertThat(d.numaNode()).isEqualTo(-1);
            assertThat(d.classCode()).isEqualTo("0200");
        });
        assertThat(inventory.numaNodes()).isEqualTo(1);
        assertThat(inventory.accelerator().accelerator()).isEqualTo(Accelerator.EMULATED_ONLY);
    }

    @Test
    void readsThisHost() throws IOException {
        var inventory = new InventoryReader(Path.of("/")).read();
        assertThat(inventory.vcpus()).isPositive();
        assertThat(inventory.memoryMiB()).isPositive();
        assertThat(inventory.numaNodes()).isPositive();
        Path groups = Path.of("/sys/kernel/iommu_groups");
        boolean noIommu;
        try (var entries = Files.exists(groups) ? Files.list(groups) : java.util.stream.Stream.<Path>empty()) {
            noIommu = entries.findAny().isEmpty();
        }
        if (noIommu) {
            assertThat(inventory.devices()).allSatisfy(d -> assertThat(d.iommuGroup()).isNull());
        }
        assertThat(inventory.devices()).allSatisfy(d -> {
            assertThat(d.vendor()).matches("[0-9a-f]{4}");
            assertThat(d.classCode()).matches("[0-9a-f]{4}");
        });
    }
}
