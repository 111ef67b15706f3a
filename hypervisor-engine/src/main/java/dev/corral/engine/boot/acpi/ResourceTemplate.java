package dev.corral.engine.boot.acpi;

import java.io.ByteArrayOutputStream;

/**
 * A resource template, the buffer a device's {@code _CRS} returns (ACPI 6.3, 6.4 "Resource Data Types for ACPI"):
 * resource descriptors one after the other, closed by an End Tag. The small ones ISA devices need (I/O ports, an
 * IRQ), and the large ones of a PCI host bridge and of a motherboard resource: the address-space descriptors for
 * the windows a bridge produces (bus numbers, I/O, memory below 4 GiB) and a fixed 32-bit memory range.
 *
 * <p>Every window is a producer's, fixed at both ends ({@code MinFixed, MaxFixed}), positively decoded, with no
 * translation: its granularity is then 0 and its length {@code max - min + 1} (6.4.3.5, table "Valid
 * combinations").
 */
public final class ResourceTemplate {

    /** Small resource item tags: type in bits 6-3, length of the data in bits 2-0 (6.4.2). */
    static final int IRQ_NO_FLAGS = 0x22;      // IRQ descriptor, 2 data bytes: the mask, edge-triggered active high
    static final int IO_PORT = 0x47;           // I/O port descriptor, 7 data bytes
    static final int END_TAG = 0x79;           // End Tag, 1 data byte: the checksum
    static final int DECODE_16 = 0x01;         // the I/O descriptor's information byte: the device decodes 16 address bits

    /** Large resource items: bit 7 set, the item name in bits 6-0, then a 16-bit length of the data (6.4.3). */
    static final int MEMORY32_FIXED = 0x86;    // 9 data bytes
    static final int DWORD_ADDRESS = 0x87;     // 23 data bytes
    static final int WORD_ADDRESS = 0x88;      // 13 data bytes
    static final int MEMORY32_FIXED_LENGTH = 9, DWORD_ADDRESS_LENGTH = 23, WORD_ADDRESS_LENGTH = 13;
    /** Address space descriptors' resource type (byte 3). */
    static final int MEMORY_RANGE = 0, IO_RANGE = 1, BUS_NUMBER_RANGE = 2;
    /** Their general flags (byte 4): bit 3 _MAF, bit 2 _MIF, bit 1 _DEC (0: positive), bit 0 0 for a producer. */
    static final int PRODUCER_MIN_MAX_FIXED = 0x0c;
    /** Type-specific flags (byte 5). I/O: _RNG = 3, both ISA and non-ISA ranges. Memory: read-write, non-cacheable. */
    static final int IO_ENTIRE_RANGE = 0x03, MEMORY_READ_WRITE_NON_CACHEABLE = 0x01, READ_WRITE = 0x01;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    /**
     * {@code IO(Decode16, base, base, alignment, length)}: a fixed range of {@code length} ports at {@code base}
     * (minimum and maximum base equal: the device cannot move).
     */
    public ResourceTemplate io(int base, int length) {
        if (base < 0 || base > 0xffff || length < 1 || length > 0xff || base + length > 0x10000) {
            throw new IllegalArgumentException(String.format("an I/O port descriptor takes 1-255 ports inside 0-0xffff, not %d at 0x%x", length, base));
        }
        bytes.write(IO_PORT);
        bytes.write(DECODE_16);
        bytes.write(base & 0xff);
        bytes.write(base >>> 8);
        bytes.write(base & 0xff);
        bytes.write(base >>> 8);
        bytes.write(1); // alignment of the minimum base: meaningless for a fixed range, 1 says byte-aligned
        bytes.write(length);
        return this;
    }

    /** {@code IRQNoFlags() {irq}}: an ISA interrupt, edge-triggered, active high, not shared. */
    public ResourceTemplate irq(int irq) {
        if (irq < 0 || irq > 15) {
            throw new IllegalArgumentException("an ISA IRQ descriptor names IRQ 0-15, not " + irq);
        }
        bytes.write(IRQ_NO_FLAGS);
        bytes.write((1 << irq) & 0xff);
        bytes.write((1 << irq) >>> 8);
        return this;
    }

    /**
     * {@code WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, first, last, 0, last - first + 1)}: the
     * bus numbers a host bridge decodes below it.
     */
    public ResourceTemplate wordBusNumber(int first, int last) {
        if (first < 0 || last > 0xff || first > last) {
            throw new IllegalArgumentException("a bus number range lies in 0-255, first to last, not " + first + "-" + last);
        }
        return wordAddress(BUS_NUMBER_RANGE, 0, first, last);
    }

    /**
     * {@code WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, first, last, 0, last - first +
     * 1)}: an I/O port window a bridge forwards.
     */
    public ResourceTemplate wordIo(int first, int last) {
        if (first < 0 || last > 0xffff || first > last || last - first == 0xffff) {
            throw new IllegalArgumentException(String.format("an I/O window lies in 0-0xffff, first to last, and its length fits 16 bits,"
                    + " not 0x%x-0x%x", first, last));
        }
        return wordAddress(IO_RANGE, IO_ENTIRE_RANGE, first, last);
    }

    /**
     * {@code DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, first, last, 0,
     * last - first + 1)}: a memory window below 4 GiB a bridge forwards.
     */
    public ResourceTemplate dwordMemory(long first, long last) {
        if (first < 0 || last > 0xffff_ffffL || first > last || last - first == 0xffff_ffffL) {
            throw new IllegalArgumentException(String.format("a 32-bit memory window lies below 4 GiB, first to last, and its length fits"
                    + " 32 bits, not 0x%x-0x%x", first, last));
        }
        large(DWORD_ADDRESS, DWORD_ADDRESS_LENGTH);
        bytes.write(MEMORY_RANGE);
        bytes.write(PRODUCER_MIN_MAX_FIXED);
        bytes.write(MEMORY_READ_WRITE_NON_CACHEABLE);
        for (long field : new long[] {0, first, last, 0, last - first + 1}) { // granularity, min, max, translation, length
            littleEndian(field, 4);
        }
        return this;
    }

    /** {@code Memory32Fixed(ReadWrite, base, length)}: a memory range that does not move, such as a reservation. */
    public ResourceTemplate memory32Fixed(long base, long length) {
        if (base < 0 || length < 1 || base + length > 1L << 32) {
            throw new IllegalArgumentException(String.format("a fixed 32-bit memory range lies below 4 GiB, not 0x%x bytes at 0x%x",
                    length, base));
        }
        large(MEMORY32_FIXED, MEMORY32_FIXED_LENGTH);
        bytes.write(READ_WRITE);
        littleEndian(base, 4);
        littleEndian(length, 4);
        return this;
    }

    private ResourceTemplate wordAddress(int type, int typeFlags, int first, int last) {
        large(WORD_ADDRESS, WORD_ADDRESS_LENGTH);
        bytes.write(type);
        bytes.write(PRODUCER_MIN_MAX_FIXED);
        bytes.write(typeFlags);
        for (long field : new long[] {0, first, last, 0, last - first + 1}) { // granularity, min, max, translation, length
            littleEndian(field, 2);
        }
        return this;
    }

    private void large(int item, int length) {
        bytes.write(item);
        littleEndian(length, 2);
    }

    private void littleEndian(long value, int size) {
        for (int i = 0; i < size; i++) {
            bytes.write((int) (value >>> (8 * i)) & 0xff);
        }
    }

    /** The {@code Buffer} holding the descriptors and the End Tag (checksum 0: "treat as if the checksum matches"). */
    public Aml.Term toBuffer() {
        var all = new ByteArrayOutputStream();
        all.writeBytes(bytes.toByteArray());
        all.write(END_TAG);
        all.write(0);
        return Aml.buffer(all.toByteArray());
    }
}
