package dev.corral.engine.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import dev.corral.engine.memory.GuestMemory;

/**
 * The Intel MultiProcessor Specification 1.4 tables that tell a guest without ACPI how many CPUs it has: a floating
 * pointer structure in the EBDA and a configuration table with one processor entry per vCPU (local APIC id = vCPU
 * index, the first one the bootstrap processor), the ISA bus, one I/O APIC, ISA interrupts 0-15 routed to its pins,
 * and LINT0/LINT1 as ExtINT/NMI.
 */
public final class MpTable {

    static final long LOCAL_APIC = 0xfee00000L;
    static final long IO_APIC = 0xfec00000L;
    static final int APIC_VERSION = 0x14;
    static final int MAX_CPUS = 254;
    private static final int FLOATING_SIZE = 16;
    private static final int HEADER_SIZE = 44;
    private static final int PROCESSOR = 0, BUS = 1, IOAPIC = 2, IO_INTERRUPT = 3, LOCAL_INTERRUPT = 4;
    private static final int INT = 0, NMI = 1, EXTINT = 3;

    private MpTable() {
    }

    /**
     * Writes the tables for {@code cpus} vCPUs at {@code at} (the EBDA), the I/O APIC's id after the processors'
     * local APIC ids; returns the bytes used.
     */
    public static int write(GuestMemory memory, long at, int cpus) {
        return write(memory, at, cpus, cpus);
    }

    /** As {@link #write(GuestMemory, long, int)}, with the I/O APIC's id as the ACPI tables give it. */
    public static int write(GuestMemory memory, long at, int cpus, int ioApicId) {
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("an MP table describes 1 to " + MAX_CPUS + " CPUs, not " + cpus);
        }
        if (ioApicId < 0 || ioApicId > 0xff) {
            throw new IllegalArgumentException("an I/O APIC id is 0-255, not " + ioApicId);
        }
        var t = ByteBuffer.allocate(HEADER_SIZE + 20 * cpus + 8 + 8 + 8 * 16 + 8 * 2).order(ByteOrder.LITTLE_ENDIAN);
        t.position(HEADER_SIZE);
        for (int i = 0; i < cpus; i++) {
            t.put((byte) PROCESSOR).put((byte) i).put((byte) APIC_VERSION).put((byte) (i == 0 ? 0b11 : 0b01));
            t.putInt(0x600).putInt(0x201).putLong(0); // signature family 6; features FPU|APIC
        }
        t.put((byte) BUS).put((byte) 0).put("ISA   ".getBytes(StandardCharsets.US_ASCII));
        t.put((byte) IOAPIC).put((byte) ioApicId).put((byte) 0x11).put((byte) 1).putInt((int) IO_APIC);
        for (int irq = 0; irq < 16; irq++) {
            t.put((byte) IO_INTERRUPT).put((byte) (irq == 0 ? EXTINT : INT)).putShort((short) 0).put((byte) 0).put((byte) irq)
                    .put((byte) ioApicId).put((byte) irq);
        }
        t.put((byte) LOCAL_INTERRUPT).put((byte) EXTINT).putShort((short) 0).put((byte) 0).put((byte) 0).put((byte) 0xff).put((byte) 0);
        t.put((byte) LOCAL_INTERRUPT).put((byte) NMI).putShort((short) 0).put((byte) 0).put((byte) 0).put((byte) 0xff).put((byte) 1);
        int length = t.position();
        t.position(0);
        t.put("PCMP".getBytes(StandardCharsets.US_ASCII)).putShort((short) length).put((byte) 4).put((byte) 0);
        t.put("CORRAL  ".getBytes(StandardCharsets.US_ASCII)).put("CORRAL-VM   ".getBytes(StandardCharsets.US_ASCII));
        t.putInt(0).putShort((short) 0).putShort((short) (cpus + 1 + 1 + 16 + 2)).putInt((int) LOCAL_APIC);
        t.putShort((short) 0).put((byte) 0).put((byte) 0);
        byte[] table = java.util.Arrays.copyOf(t.array(), length);
        table[7] = checksum(table);

        var f = ByteBuffer.allocate(FLOATING_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        f.put("_MP_".getBytes(StandardCharsets.US_ASCII)).putInt((int) (at + FLOATING_SIZE)).put((byte) 1).put((byte) 4).put((byte) 0);
        byte[] floating = f.array(); // feature bytes 0: the configuration table is present, not a default configuration
        floating[10] = checksum(floating);
        memory.write(at, floating);
        memory.write(at + FLOATING_SIZE, table);
        return FLOATING_SIZE + length;
    }

    /** The byte that makes all bytes sum to zero (modulo 256). */
    static byte checksum(byte[] bytes) {
        int sum = 0;
        for (byte b : bytes) {
            sum += b;
        }
        return (byte) -sum;
    }
}
