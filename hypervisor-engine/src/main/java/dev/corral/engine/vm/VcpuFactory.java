package dev.corral.engine.vm;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.memory.GuestMemory;

/** Makes the boot vCPU of a backend, in the state the loader left for the kernel's entry. */
@FunctionalInterface
interface VcpuFactory {

    Vcpu create(GuestMemory memory, MmioBus mmio, EntryState entry);
}
