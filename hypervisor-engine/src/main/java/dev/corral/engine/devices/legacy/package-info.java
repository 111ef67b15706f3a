/**
 * The legacy PC devices a guest expects at fixed ports: the 16550A serial console, the i8042 (for its reset
 * line), the CMOS RTC, and a debug-exit port for test guests ({@link dev.corral.engine.devices.legacy.LegacyDevices});
 * the motherboard's two cascaded 8259A PICs, the 8254 PIT, system control port B and the POST code port, for VMs
 * whose CPU runs in software ({@link dev.corral.engine.devices.legacy.Chipset}); plus the console buffer that guest
 * output goes to.
 * Guarantees: each device sees only offsets into its own range, raises interrupts only through an
 * {@link dev.corral.engine.machine.InterruptLine}, never touches KVM or threads (callbacks run on the accessing
 * thread; time comes from an injected clock, never a timer thread), and answers any register access a guest can
 * make without throwing. Each instance belongs to one VM.
 */
package dev.corral.engine.devices.legacy;
