package dev.corral.engine.vm;

import dev.corral.engine.devices.apic.ApicInterrupt;
import dev.corral.engine.devices.apic.ApicSignal;
import dev.corral.engine.devices.apic.LocalApic;
import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.I8254;
import dev.corral.engine.devices.legacy.I8259Pair;

/**
 * Where one vCPU's external interrupts come from, when the VMM (not KVM's in-kernel irqchip) decides which vector a
 * vCPU takes: a local APIC per vCPU on the software CPU's machine, the 8259A pair for vCPU 0 on a PIC-only one.
 * Called only on that vCPU's thread, by its loop.
 */
interface InterruptSource {

    /** Nothing ever interrupts through this source: KVM's in-kernel irqchip delivers, or the vCPU has no controller. */
    InterruptSource NONE = new InterruptSource() {
        @Override
        public void advanceTo(long nanos) {
        }

        @Override
        public boolean hasInterrupt() {
            return false;
        }

        @Override
        public int acknowledge() {
            throw new IllegalStateException("no interrupt is pending on a vCPU without an interrupt source");
        }

        @Override
        public long nextDeadlineNanos() {
            return Long.MAX_VALUE;
        }
    };

    /** Brings timers that drive this source up to {@code nanos} on the VM's clock (raising their lines as they fire). */
    void advanceTo(long nanos);

    /** Whether an interrupt waits for the CPU. */
    boolean hasInterrupt();

    /** The CPU takes the waiting interrupt (INTA): its vector. */
    int acknowledge();

    /** When, on the VM's clock, a timer of this source next fires; {@link Long#MAX_VALUE} if none is running. */
    long nextDeadlineNanos();

    /** Whether a processor-control message (INIT, STARTUP) waits for the vCPU, whether or not it takes interrupts. */
    default boolean hasSignal() {
        return false;
    }

    /** Applies the processor-control messages that wait (INIT, STARTUP) to {@code cpu}, in the order they came. */
    default void applySignals(Vcpu cpu) {
    }

    /**
     * A vCPU's local APIC: its fixed interrupts, and the 8259A pair's for an ExtINT (virtual-wire mode through LINT0,
     * or an ExtINT message); INIT and STARTUP applied to the vCPU. The boot processor's loop also keeps the 8254 up to
     * time ({@code pit}; null for the others). NMIs stay pending: the software CPU has no NMI delivery yet.
     */
    static InterruptSource of(LocalApic apic, I8259Pair pic, I8254 pit) {
        return new InterruptSource() {
            @Override
            public void advanceTo(long nanos) {
                if (pit != null) {
                    pit.advanceTo(nanos);
                }
                apic.advanceTo(nanos);
            }

            @Override
            public boolean hasInterrupt() {
                return apic.hasInterrupt();
            }

            @Override
            public int acknowledge() {
                return switch (apic.acknowledge()) {
                    case ApicInterrupt.Vector v -> v.vector();
                    case ApicInterrupt.ExtInt e -> pic.acknowledge();
                };
            }

            @Override
            public long nextDeadlineNanos() {
                return Math.min(apic.nextDeadlineNanos(), pit != null ? pit.nextDeadlineNanos() : Long.MAX_VALUE);
            }

            @Override
            public boolean hasSignal() {
                return apic.hasSignal(false);
            }

            @Override
            public void applySignals(Vcpu cpu) {
                for (ApicSignal signal = apic.pollSignal(false); signal != null; signal = apic.pollSignal(false)) {
                    switch (signal) {
                        case ApicSignal.Init i -> cpu.init();
                        case ApicSignal.Startup s -> cpu.startup(s.vector());
                        case ApicSignal.Nmi n -> throw new IllegalStateException("an NMI was polled while NMIs are held");
                    }
                }
            }
        };
    }

    /** The PC/AT chipset as vCPU 0 sees it: the 8259A pair's INTR, timed by the 8254 on IRQ 0. */
    static InterruptSource of(Chipset chipset) {
        var pic = chipset.pic();
        var pit = chipset.pit();
        return new InterruptSource() {
            @Override
            public void advanceTo(long nanos) {
                pit.advanceTo(nanos);
            }

            @Override
            public boolean hasInterrupt() {
                return pic.hasInterrupt();
            }

            @Override
            public int acknowledge() {
                return pic.acknowledge();
            }

            @Override
            public long nextDeadlineNanos() {
                return pit.nextDeadlineNanos();
            }
        };
    }
}
