/**
 * The ACPI fixed hardware a PC's chipset carries ({@link dev.corral.engine.devices.acpi.FixedHardware}): the PM1
 * event and control registers with the power button and soft-off, the PM timer, an empty GPE block, the reset
 * register, and the SCI that signals them. The tables that tell the guest where it is are generated in
 * {@code dev.corral.engine.boot.acpi}. Like every device: offsets only, interrupts through an
 * {@link dev.corral.engine.machine.InterruptLine}, time from an injected clock, callbacks on the accessing thread.
 */
package dev.corral.engine.devices.acpi;
