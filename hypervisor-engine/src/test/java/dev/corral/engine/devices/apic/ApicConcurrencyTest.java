package dev.corral.engine.devices.apic;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

/**
 * Four vCPU threads sending each other IPIs and retiring what they get (EOIs broadcast to the I/O APIC, which sends
 * still-asserted level interrupts again), while a device thread toggles level-triggered pins routed lowest-priority
 * to all four: every lock order the devices use at once. The main thread watches for a monitor deadlock with the
 * JVM's own detector instead of a clock (the workers are daemons, so a deadlocked run still ends).
 */
class ApicConcurrencyTest {

    private static final int CPUS = 4, ROUNDS = 20_000;

    @Test
    void ipisEoisAndDeviceInterruptsFromManyThreadsAtOnceNeitherDeadlockNorGetLost() throws InterruptedException {
        var rig = new ApicRig(CPUS).enabled();
        var ioApic = new IoApic(0, rig.bus);
        for (int cpu = 0; cpu < CPUS; cpu++) {
            rig.set(cpu, LocalApic.LDR, 1L << 24 + cpu);
        }
        for (int pin = 16; pin < 20; pin++) {
            ioApic.write(IoApic.IOREGSEL, 4, IoApic.IOREDTBL + 2 * pin + 1);
            ioApic.write(IoApic.IOWIN, 4, 0x0fL << 24);
            ioApic.write(IoApic.IOREGSEL, 4, IoApic.IOREDTBL + 2 * pin);
            ioApic.write(IoApic.IOWIN, 4, IoApic.TRIGGER_LEVEL | 0x800 | 0x100 | 0x60 + pin);
        }
        var received = new AtomicIntegerArray(CPUS * 256); // per CPU and vector
        var failures = new ConcurrentLinkedQueue<Throwable>();
        var threads = new ArrayList<Thread>();
        for (int cpu = 0; cpu < CPUS; cpu++) {
            int self = cpu;
            threads.add(Thread.ofPlatform().daemon().name("vcpu-" + cpu).unstarted(() -> {
                for (int i = 0; i < ROUNDS; i++) {
                    rig.ipi(self, (self + 1) % CPUS, 0x40 + self);
                    if (i % 64 == 0) {
                        rig.ipi(self, 0, 0xc0000 | 0x48); // all but self
                    }
                    drain(rig, self, received);
                }
            }));
        }
        threads.add(Thread.ofPlatform().daemon().name("device").unstarted(() -> {
            for (int i = 0; i < ROUNDS; i++) {
                ioApic.setLevel(16 + i % 4, i % 8 < 4);
            }
        }));
        for (var thread : threads) {
            thread.setUncaughtExceptionHandler((t, e) -> failures.add(e));
            thread.start();
        }
        var detector = ManagementFactory.getThreadMXBean();
        while (threads.stream().anyMatch(Thread::isAlive)) {
            long[] deadlocked = detector.findDeadlockedThreads();
            assertThat(deadlocked).as("deadlocked: %s", deadlocked == null ? "" : Arrays.toString(
                    detector.getThreadInfo(deadlocked, true, true))).isNull();
            threads.getFirst().join(20);
        }
        assertThat(failures).isEmpty();

        for (int pin = 16; pin < 20; pin++) {
            ioApic.setLevel(pin, false);
        }
        for (int cpu = 0; cpu < CPUS; cpu++) {
            drain(rig, cpu, received);
            for (int slice = 0; slice < 8; slice++) {
                assertThat(rig.reg(cpu, LocalApic.ISR + 16 * slice) | rig.reg(cpu, LocalApic.IRR + 16 * slice)).isZero();
            }
            int predecessor = (cpu + CPUS - 1) % CPUS;
            assertThat(received.get(cpu * 256 + 0x40 + predecessor)).as("cpu %d from cpu %d", cpu, predecessor).isPositive();
            if (cpu != 0) {
                assertThat(received.get(cpu * 256 + 0x48)).as("cpu %d, the broadcast", cpu).isPositive();
            }
        }
        for (int pin = 16; pin < 20; pin++) {
            int vector = 0x60 + pin, taken = 0;
            for (int cpu = 0; cpu < CPUS; cpu++) {
                taken += received.get(cpu * 256 + vector);
            }
            assertThat(taken).as("pin %d", pin).isPositive();
        }
        for (int pin = 16; pin < 20; pin++) {
            ioApic.write(IoApic.IOREGSEL, 4, IoApic.IOREDTBL + 2 * pin);
            assertThat(ioApic.read(IoApic.IOWIN, 4) & IoApic.REMOTE_IRR).as("pin %d retired", pin).isZero();
        }
    }

    /**
     * What the vCPU loop does with interrupts enabled: take what is deliverable (a higher class nests inside a
     * lower one), each handler ending in an EOI, until nothing is left, same-class ones included.
     */
    private static void drain(ApicRig rig, int cpu, AtomicIntegerArray received) {
        var apic = rig.cpu(cpu);
        while (apic.hasInterrupt()) {
            List<Integer> nested = new ArrayList<>();
            while (apic.hasInterrupt()) {
                if (apic.acknowledge() instanceof ApicInterrupt.Vector(int vector) && vector != 0xff) {
                    nested.add(vector);
                    received.incrementAndGet(cpu * 256 + vector);
                }
            }
            for (int ignored : nested) {
                apic.write(LocalApic.EOI, 4, 0);
            }
        }
    }
}
