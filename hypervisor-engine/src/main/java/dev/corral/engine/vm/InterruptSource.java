package dev.corral.engine.vm;

import dev.corral.engine.devices.legacy.Chipset;

/**
 * Where one vCPU's external interrupts come from, when the VMM (not KVM's in-kernel irqchip) decides which vector a
 * vCPU takes: the 8259A pair for vCPU 0 today, a local APIC per vCPU once the machine has them. Called only on that
 * vCPU's thread, by its loop.
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
