/**
 * The PC model's buses and interrupt wiring, independent of how the vCPUs run (KVM or the software CPU).
 * {@link dev.corral.engine.machine.PortIoBus} and {@link dev.corral.engine.machine.MmioBus} dispatch an access to
 * the one device owning it, with the offset into its range; overlapping ranges are refused at registration.
 * Guarantees: no guest access is fatal — unclaimed addresses read all-ones, ignore writes and are counted per
 * address; a device's exception is counted and absorbed. Devices raise interrupts only through an
 * {@link dev.corral.engine.machine.InterruptLine}. No global state: every VM builds its own buses.
 */
package dev.corral.engine.machine;
