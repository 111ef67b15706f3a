/**
 * The APIC interrupt architecture of a VM whose vCPUs run in software (with KVM, the kernel's irqchip plays this
 * part): a {@link dev.corral.engine.devices.apic.LocalApic} per vCPU, one
 * {@link dev.corral.engine.devices.apic.IoApic}, and the {@link dev.corral.engine.devices.apic.ApicBus} that carries
 * interrupt messages between them (IPIs, INIT/SIPI, I/O APIC redirections, PCI MSI) and EOI broadcasts back;
 * {@link dev.corral.engine.devices.apic.IsaInterruptRouter} wires ISA lines to both the I/O APIC and the legacy PICs.
 * Guarantees: the devices see only register offsets and MSR numbers, never a CPU or a thread; a guest access of any
 * offset, size and value is answered (refusals the CPU must turn into #GP are a typed
 * {@link dev.corral.engine.devices.apic.MsrAccessRefused}); time comes from the VM's
 * {@link dev.corral.engine.machine.TscClock}, never a timer thread; delivery is thread-safe and never blocks on a vCPU.
 * Each instance belongs to one VM.
 */
package dev.corral.engine.devices.apic;
