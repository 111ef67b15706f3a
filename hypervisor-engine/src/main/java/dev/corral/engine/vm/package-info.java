/**
 * The virtual machine: {@link dev.corral.engine.vm.VmConfig} in, a running {@link dev.corral.engine.vm.VirtualMachine}
 * out, with one {@link dev.corral.engine.vm.VirtualMachine.Outcome} at the end. Builds the PC (guest memory, buses,
 * chipset, legacy devices), loads the kernel, and runs one loop per vCPU, each on its own thread.
 * Backends: KVM ({@code KvmBackend}: memory slots over the same guest memory, the in-kernel irqchip, every vCPU) and
 * the software CPU ({@code EmulatedBackend}: vCPU 0 for now); {@link dev.corral.engine.vm.VmAccelerator} chooses.
 * Guarantees: nothing a guest does throws out of a running VM (bad guest behaviour is a device fault, a counted
 * access, or an outcome); the listener hears {@code finished} exactly once; guest memory is freed only after every
 * vCPU thread has ended.
 */
package dev.corral.engine.vm;
