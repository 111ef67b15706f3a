package dev.corral.agent.inventory;

import java.util.List;

import dev.corral.api.PciDevice;
import dev.corral.engine.host.AcceleratorProbe;

/**
 * What this host offers, as read from procfs and sysfs.
 *
 * @param hugepages2Mi free 2 MiB huge pages
 * @param hugepages1Gi free 1 GiB huge pages
 */
public record HostInventory(int vcpus, long memoryMiB, long hugepages2Mi, long hugepages1Gi, int numaNodes,
        List<PciDevice> devices, AcceleratorProbe.Finding accelerator) {
}
