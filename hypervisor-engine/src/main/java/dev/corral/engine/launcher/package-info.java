/**
 * {@code corral-vmm}: the engine as a standalone program, one VM per process ({@code corral-vmm run --kernel K ...},
 * like {@code lkvm run}). Plain argument parsing: the engine takes no framework. The node agent does not use this;
 * it creates {@link dev.corral.engine.vm.VirtualMachine}s in its own process.
 */
package dev.corral.engine.launcher;
