package dev.corral.engine.devices.apic;

/**
 * A processor-control message a local APIC received for its processor, taken with {@link LocalApic#pollSignal}.
 * These are not maskable by RFLAGS.IF, so the vCPU loop looks for them whether or not the CPU takes interrupts.
 */
public sealed interface ApicSignal {

    /**
     * INIT: the processor resets to its INIT state and, if it is an application processor, waits for a STARTUP.
     * The local APIC has already reset itself (all registers but the APIC id and IA32_APIC_BASE).
     */
    record Init() implements ApicSignal {
    }

    /**
     * STARTUP (SIPI): a processor waiting for one starts in real mode at {@code vector << 12} (CS = vector << 8,
     * IP = 0). A processor that is not waiting for a SIPI ignores it, as real ones do: the vCPU loop decides.
     */
    record Startup(int vector) implements ApicSignal {
    }

    /** NMI: deliver vector 2 as a non-maskable interrupt when the processor is not blocking NMIs. */
    record Nmi() implements ApicSignal {
    }
}
