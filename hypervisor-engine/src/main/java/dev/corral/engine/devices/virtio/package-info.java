/**
 * virtio 1.x devices on PCI, modern interface only: the transport ({@link dev.corral.engine.devices.virtio.VirtioPciDevice}:
 * capabilities, feature negotiation, status, queue registers, ISR, notifications, MSI-X vectors), split virtqueues
 * read defensively from guest memory ({@link dev.corral.engine.devices.virtio.Virtqueue}), a worker thread per
 * device, and the device types: block over a {@link dev.corral.engine.storage.BlockImage}
 * ({@link dev.corral.engine.devices.virtio.VirtioBlk}) and entropy ({@link dev.corral.engine.devices.virtio.VirtioRng}).
 * A driver that breaks the rules gets DEVICE_NEEDS_RESET on that device; nothing it does escapes the device.
 */
package dev.corral.engine.devices.virtio;
