package dev.corral.engine.devices.apic;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import dev.corral.engine.machine.TscClock;

/**
 * A bus with a few local APICs on a clock the test moves by hand (1 GHz TSC and timer, so a tick is a
 * nanosecond), counting each APIC's wake-ups and the EOI broadcasts. APIC i has id i; APIC 0 is the BSP.
 */
final class ApicRig {

    static final long START = 7_000_000_000L;

    long now = START;
    long tscOffset;
    boolean picInterrupt;
    /** LINT0 of every APIC: the {@code picInterrupt} flag unless a test wires a real PIC here. */
    BooleanSupplier lint0 = () -> picInterrupt;
    final TscClock tsc = new TscClock(() -> now);
    final ApicBus bus = new ApicBus();
    final List<LocalApic> cpus = new ArrayList<>();
    final int[] wakes;
    final List<Integer> eois = new ArrayList<>();

    ApicRig(int count) {
        wakes = new int[count];
        for (int i = 0; i < count; i++) {
            int cpu = i;
            var timer = new ApicTimer(tsc, () -> tscOffset, ApicTimer.DEFAULT_FREQUENCY_HZ);
            cpus.add(new LocalApic(bus, i, i == 0, timer, () -> lint0.getAsBoolean(), () -> wakes[cpu]++));
        }
        bus.addEoiListener(eois::add);
    }

    LocalApic cpu(int i) {
        return cpus.get(i);
    }

    /** Software-enables every APIC (SVR 0x1ff), as an OS does first. */
    ApicRig enabled() {
        for (var apic : cpus) {
            apic.write(LocalApic.SVR, 4, 0x1ff);
        }
        return this;
    }

    long reg(int cpu, int offset) {
        return cpu(cpu).read(offset, 4);
    }

    void set(int cpu, int offset, long value) {
        cpu(cpu).write(offset, 4, value);
    }

    /** Sends an IPI from {@code cpu} through its xAPIC ICR: high half first, as Linux does. */
    void ipi(int cpu, int destination, int low) {
        set(cpu, LocalApic.ICR_HIGH, (long) destination << 24);
        set(cpu, LocalApic.ICR, low);
    }

    /** The vector the CPU would take now, acknowledging it, or -1 if the INTR line is down. */
    int take(int cpu) {
        var apic = cpu(cpu);
        if (!apic.hasInterrupt()) {
            return -1;
        }
        return switch (apic.acknowledge()) {
            case ApicInterrupt.Vector v -> v.vector();
            case ApicInterrupt.ExtInt e -> 256; // stands for "ask the PIC"
        };
    }

    void eoi(int cpu) {
        set(cpu, LocalApic.EOI, 0);
    }

    /** Bit {@code vector} of a 256-bit register (ISR, TMR or IRR) at {@code base}. */
    boolean bit(int cpu, int base, int vector) {
        return (reg(cpu, base + 0x10 * (vector >>> 5)) >>> (vector & 31) & 1) != 0;
    }

    void advance(long nanos) {
        now += nanos;
        for (var apic : cpus) {
            apic.advanceTo(now);
        }
    }
}
