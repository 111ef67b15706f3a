package dev.corral.engine.devices.pci;

/**
 * Where a PCI function's message-signalled interrupts go. An MSI is a DMA write of {@code data} (32 bits) to
 * {@code address}; on x86 the address is 0xfeeXXXXX and names the destination local APIC(s) and mode (Intel SDM
 * vol. 3, 11.11: bits 19:12 destination ID, bit 3 redirection hint, bit 2 destination mode), the data carries the
 * vector (bits 7:0), delivery mode (10:8) and trigger (15, 14). The sink decodes it: over the software CPU's local
 * APIC bus, or with KVM_SIGNAL_MSI (or an irqfd bound to a GSI routed to the same message) under KVM.
 *
 * <p>Contract: called on a device's worker thread or on a vCPU thread (when the guest unmasks a pending vector),
 * possibly with the function's MSI-X lock held: it must not block and must not call back into the device. An
 * address outside 0xfee00000-0xfeefffff is passed on as the guest programmed it; what to do with it (drop it and
 * count it, as the PC's chipset would not turn it into an interrupt) is the sink's decision.
 */
@FunctionalInterface
public interface MsiSink {

    void send(long address, int data);
}
