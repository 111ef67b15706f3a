/**
 * PCI as a guest finds it: bus 0 behind a {@link dev.corral.engine.devices.pci.HostBridge}, configuration through
 * mechanism #1 (ports 0xcf8-0xcff) and ECAM, functions with type 0 headers, memory BARs the guest may size and
 * move, INTx pins swizzled onto four interrupt lines, and MSI-X tables delivering to an
 * {@link dev.corral.engine.devices.pci.MsiSink}. The {@link dev.corral.engine.devices.pci.PciBus} translates
 * addresses: a function sees offsets into its BARs. DMA by a function goes through
 * {@link dev.corral.engine.devices.pci.Dma}, which checks every guest address and the function's bus master enable.
 * Nothing here touches KVM, the CPU or threads; each instance belongs to one VM.
 */
package dev.corral.engine.devices.pci;
