package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A PCI device of a node, as its agent read it from sysfs.
 *
 * @param address     the PCI address, e.g. {@code 0000:3b:00.0}
 * @param vendor      vendor id, 4 hex digits ({@code 10de})
 * @param device      device id, 4 hex digits
 * @param classCode   the PCI class and subclass, 4 hex digits ({@code 0302} = 3D controller)
 * @param deviceClass the class name derived from {@code classCode} by the server ({@code gpu}); read-only
 * @param numaNode    the NUMA node the device is attached to, or -1 when unknown
 * @param iommuGroup  the IOMMU group, or null when the host has no IOMMU (such a device cannot be assigned)
 * @param driver      the kernel driver bound to it, if any
 * @param assignedTo  the uid of the workload it is assigned to; read-only
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PciDevice(String address, String vendor, String device, String classCode,
        @JsonProperty("class") String deviceClass, Integer numaNode, Integer iommuGroup, String driver, String assignedTo) {
}
