package dev.corral.agent.inventory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.corral.api.PciDevice;
import dev.corral.engine.host.AcceleratorProbe;

/**
 * Reads a host's inventory from the files Linux exposes, under a root that is {@code /} for the real host and a
 * recorded tree (say, of a GPU server) in tests:
 * <ul>
 * <li>vCPUs: {@code /sys/devices/system/cpu/online}</li>
 * <li>memory: {@code MemTotal} of {@code /proc/meminfo}</li>
 * <li>huge pages: {@code /sys/kernel/mm/hugepages/hugepages-*kB/free_hugepages}</li>
 * <li>NUMA nodes: {@code /sys/devices/system/node/node*}</li>
 * <li>PCI devices: {@code /sys/bus/pci/devices/*} (vendor, device, class, numa_node, driver), and their IOMMU
 * groups from {@code /sys/kernel/iommu_groups/N/devices/*}, which works whether the tree keeps symlinks or not</li>
 * </ul>
 */
public final class InventoryReader {

    private static final Pattern NODE_DIR = Pattern.compile("node\\d+");

    private final Path root;

    public InventoryReader(Path root) {
        this.root = root;
    }

    public HostInventory read() {
        return new HostInventory(vcpus(), memoryMiB(), hugepages("hugepages-2048kB"), hugepages("hugepages-1048576kB"),
                numaNodes(), pciDevices(), new AcceleratorProbe(root).probe());
    }

    int vcpus() {
        String online = text(root.resolve("sys/devices/system/cpu/online"));
        if (online == null || online.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        int count = 0;
        for (String range : online.strip().split(",")) {
            String[] ends = range.split("-");
            count += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
        }
        return count;
    }

    long memoryMiB() {
        String meminfo = text(root.resolve("proc/meminfo"));
        if (meminfo != null) {
            for (String line : meminfo.split("\n")) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
                }
            }
        }
        throw new IllegalStateException("no MemTotal in " + root.resolve("proc/meminfo"));
    }

    private long hugepages(String size) {
        String free = text(root.resolve("sys/kernel/mm/hugepages").resolve(size).resolve("free_hugepages"));
        return free == null ? 0 : Long.parseLong(free.strip());
    }

    int numaNodes() {
        Path nodes = root.resolve("sys/devices/system/node");
        if (!Files.isDirectory(nodes)) {
            return 1;
        }
        try (Stream<Path> entries = Files.list(nodes)) {
            return (int) Math.max(1, entries.filter(p -> NODE_DIR.matcher(p.getFileName().toString()).matches()).count());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<PciDevice> pciDevices() {
        Path devices = root.resolve("sys/bus/pci/devices");
        if (!Files.isDirectory(devices)) {
            return List.of();
        }
        var groups = iommuGroups();
        var result = new ArrayList<PciDevice>();
        try (Stream<Path> entries = Files.list(devices)) {
            for (Path dev : entries.sorted().toList()) {
                String address = dev.getFileName().toString();
                String vendor = hex(text(dev.resolve("vendor")), 4);
                String device = hex(text(dev.resolve("device")), 4);
                String klass = hex(text(dev.resolve("class")), 6);
                if (vendor == null || device == null || klass == null) {
                    continue;
                }
                String numa = text(dev.resolve("numa_node"));
                result.add(new PciDevice(address, vendor, device, klass.substring(0, 4), null,
                        numa == null ? -1 : Integer.parseInt(numa.strip()), groups.get(address), driver(dev), null));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    private Map<String, Integer> iommuGroups() {
        var groups = new HashMap<String, Integer>();
        Path base = root.resolve("sys/kernel/iommu_groups");
        if (!Files.isDirectory(base)) {
            return groups;
        }
        try (Stream<Path> entries = Files.list(base)) {
            for (Path group : entries.toList()) {
                Path members = group.resolve("devices");
                if (!group.getFileName().toString().matches("\\d+") || !Files.isDirectory(members)) {
                    continue;
                }
                int id = Integer.parseInt(group.getFileName().toString());
                try (Stream<Path> devices = Files.list(members)) {
                    devices.forEach(d -> groups.put(d.getFileName().toString(), id));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return groups;
    }

    private static String driver(Path dev) {
        Path link = dev.resolve("driver");
        try {
            return Files.isSymbolicLink(link) ? Files.readSymbolicLink(link).getFileName().toString() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code 0x10de\n} to {@code 10de}; null when the file is missing or not hex of that width. */
    private static String hex(String text, int digits) {
        if (text == null) {
            return null;
        }
        String v = text.strip().toLowerCase();
        if (v.startsWith("0x")) {
            v = v.substring(2);
        }
        return v.matches("[0-9a-f]{" + digits + "}") ? v : null;
    }

    private static String text(Path file) {
        try {
            return Files.isReadable(file) && Files.isRegularFile(file) ? Files.readString(file) : null;
        } catch (IOException e) {
            return null;
        }
    }
}
