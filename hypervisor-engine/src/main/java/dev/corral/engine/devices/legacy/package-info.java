/**
 * The legacy PC devices a guest expects at fixed ports: the 16550A serial console, the i8042 (for its reset
 * line), the CMOS RTC, and a debug-exit port for test guests; plus the console buffer that guest output goes to.
 * Guarantees: each device sees only offsets into its own range, raises interrupts only through an
 * {@link dev.corral.engine.machine.InterruptLine}, never touches KVM or threads (callbacks run on the accessing
 * thread), and answers any register access a guest can make without throwing. Each instance belongs to one VM.
 */
package dev.corral.engine.devices.legacy;
