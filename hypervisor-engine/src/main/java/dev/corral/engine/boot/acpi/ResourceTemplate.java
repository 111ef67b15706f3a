package dev.corral.engine.boot.acpi;

import java.io.ByteArrayOutputStream;

/**
 * A resource template, the buffer a device's {@code _CRS} returns (ACPI 6.3, 6.4 "Resource Data Types for ACPI"):
 * small resource descriptors one after the other, closed by an End Tag. Only the descriptors ISA devices need are
 * here; PCI's address-space descriptors come with the host bridge.
 */
public final class ResourceTemplate {

    /** Small resource item tags: type in bits 6-3, length of the data in bits 2-0 (6.4.2). */
    static final int IRQ_NO_FLAGS = 0x22;      // IRQ descriptor, 2 data bytes: the mask, edge-triggered active high
    static final int IO_PORT = 0x47;           // I/O port descriptor, 7 data bytes
    static final int END_TAG = 0x79;           // End Tag, 1 data byte: the checksum
    static final int DECODE_16 = 0x01;         // the I/O descriptor's information byte: the device decodes 16 address bits

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

    /** The {@code Buffer} holding the descriptors and the End Tag (checksum 0: "treat as if the checksum matches"). */
    public Aml.Term toBuffer() {
        var all = new ByteArrayOutputStream();
        all.writeBytes(bytes.toByteArray());
        all.write(END_TAG);
        all.write(0);
        return Aml.buffer(all.toByteArray());
    }
}
