package dev.corral.engine.devices.apic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import dev.corral.engine.machine.MmioBus;
import org.junit.jupiter.api.Test;

/**
 * A hostile guest: seeded random accesses of every offset, size and value to the register pages and the MSRs,
 * random IA32_APIC_BASE transitions, random pin levels, INTA cycles, EOIs and time. Only two things may come out:
 * an answer (or a dropped write), or an {@link MsrAccessRefused} the CPU turns into #GP. No device fault is counted
 * on the MMIO bus (the bus would have caught an exception from a device), and nothing else is thrown.
 */
class ApicFuzzTest {

    private static final int[] SIZES = {1, 2, 4, 8};
    private static final int[] OFFSETS = {0x20, 0x30, 0x80, 0x90, 0xa0, 0xb0, 0xd0, 0xe0, 0xf0, 0x100, 0x180, 0x200,
            0x280, 0x2f0, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3e0, 0x3f0};

    @Test
    void randomRegisterTrafficGivesOnlyAnswersAndRefusalsNeverAnEscapingException() {
        long refusals = 0, vectors = 0, signals = 0;
        for (long seed = 1; seed <= 20; seed++) {
            var random = new Random(seed);
            var rig = new ApicRig(3);
            var ioApic = new IoApic(0, rig.bus);
            var mmio = new MmioBus();
            mmio.register(LocalApic.DEFAULT_BASE, LocalApic.PAGE_SIZE, "local-apic-0", rig.cpu(0));
            mmio.register(IoApic.DEFAULT_BASE, IoApic.LENGTH, "ioapic", ioApic);

            for (int i = 0; i < 20_000; i++) {
                var cpu = rig.cpu(random.nextInt(3));
                switch (random.nextInt(12)) {
                    case 0, 1, 2 -> { // the local APIC page, through the bus: mostly register offsets, some anywhere
                        long offset = random.nextInt(4) == 0 ? random.nextInt(LocalApic.PAGE_SIZE)
                                : OFFSETS[random.nextInt(OFFSETS.length)] + (random.nextInt(4) == 0 ? random.nextInt(16) : 0);
                        int size = SIZES[random.nextInt(SIZES.length)];
                        offset = Math.min(offset, LocalApic.PAGE_SIZE - size);
                        if (random.nextBoolean()) {
                            mmio.write(LocalApic.DEFAULT_BASE + offset, size, value(random));
                        } else {
                            mmio.read(LocalApic.DEFAULT_BASE + offset, size);
                        }
                    }
                    case 3 -> cpu.write(OFFSETS[random.nextInt(OFFSETS.length)], 4, value(random)); // another CPU's page
                    case 4, 5 -> { // MSRs, in whatever mode the APIC is
                        int msr = switch (random.nextInt(4)) {
                            case 0 -> LocalApic.MSR_APIC_BASE;
                            case 1 -> LocalApic.MSR_TSC_DEADLINE;
                            default -> LocalApic.MSR_X2APIC_FIRST + random.nextInt(0x100);
                        };
                        try {
                            if (random.nextBoolean()) {
                                cpu.writeMsr(msr, msr == LocalApic.MSR_APIC_BASE && random.nextBoolean()
                                        ? apicBase(random) : value(random));
                            } else {
                                cpu.readMsr(msr);
                            }
                        } catch (MsrAccessRefused refused) {
                            refusals++;
                        }
                    }
                    case 6 -> { // the I/O APIC page
                        long offset = random.nextInt(8) == 0 ? random.nextInt(IoApic.LENGTH - 8) : new int[] {0, 0x10, 0x40}[random.nextInt(3)];
                        int size = SIZES[random.nextInt(SIZES.length)];
                        if (random.nextBoolean()) {
                            mmio.write(IoApic.DEFAULT_BASE + offset, size, random.nextBoolean() ? random.nextInt(0x40) : value(random));
                        } else {
                            mmio.read(IoApic.DEFAULT_BASE + offset, size);
                        }
                    }
                    case 7 -> ioApic.setLevel(random.nextInt(IoApic.PINS), random.nextBoolean());
                    case 8 -> {
                        if (cpu.hasInterrupt()) {
                            cpu.acknowledge();
                            vectors++;
                        }
                        cpu.write(LocalApic.EOI, 4, 0);
                    }
                    case 9 -> {
                        if (cpu.pollSignal(random.nextBoolean()) != null) {
                            signals++;
                        }
                        cpu.writeCr8(random.nextInt(16));
                    }
                    case 10 -> rig.picInterrupt = random.nextBoolean();
                    default -> {
                        rig.now += random.nextInt(4) == 0 ? random.nextInt(1 << 30) : random.nextInt(100_000);
                        rig.tscOffset = random.nextInt(50) == 0 ? random.nextLong() : rig.tscOffset;
                        cpu.advanceTo(rig.now);
                        cpu.nextDeadlineNanos();
                    }
                }
            }
            assertThat(mmio.counters().deviceFaults()).as("seed %d", seed).isEmpty();
        }
        assertThat(refusals).as("the refusal path was exercised").isGreaterThan(1000);
        assertThat(vectors).as("interrupts did get through").isGreaterThan(1000);
        assertThat(signals).as("INIT, STARTUP and NMI did get through").isGreaterThan(50);
    }

    /** Mostly small values and single bits (the interesting ones), sometimes anything. */
    private static long value(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextLong();
            case 1 -> 1L << random.nextInt(64);
            case 2 -> random.nextInt(0x100) | (long) random.nextInt(8) << 8 | (long) random.nextInt(16) << 16;
            default -> random.nextInt() & 0xffffffffL;
        };
    }

    /** IA32_APIC_BASE values of the four EN/EXTD combinations, sometimes relocated, sometimes with the BSP bit. */
    private static long apicBase(Random random) {
        long base = random.nextInt(8) == 0 ? (long) random.nextInt(1 << 20) << 12 : LocalApic.DEFAULT_BASE;
        return base | (long) random.nextInt(4) << 10 | (random.nextBoolean() ? LocalApic.BASE_BSP : 0);
    }
}
