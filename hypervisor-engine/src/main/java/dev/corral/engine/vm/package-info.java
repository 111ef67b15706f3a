/**
 * The virtual machine: {@link dev.corral.engine.vm.VmConfig} in, a running {@link dev.corral.engine.vm.VirtualMachine}
 * out, with one {@link dev.corral.engine.vm.VirtualMachine.Outcome} at the end. Builds the PC (guest memory, buses,
 * chipset, legacy devices), loads the kernel, and runs the boot vCPU's loop on its own thread.
 * Guarantees: nothing a guest does throws out of a running VM (bad guest behaviour is a device fault, a counted
 * access, or an outcome); the listener hears {@code finished} exactly once; guest memory is freed only after the
 * vCPU thread has ended. Backend: the software CPU ({@code cpu}); only vCPU 0 runs for now.
 */
package dev.corral.engine.vm;
