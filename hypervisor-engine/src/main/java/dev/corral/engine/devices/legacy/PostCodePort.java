package dev.corral.engine.devices.legacy;

import dev.corral.engine.machine.BytePortIoDevice;

/**
 * Port 0x80, where firmware writes power-on self-test codes for a diagnostic card, and where Linux and other
 * guests write a byte only to wait about a microsecond ({@code outb_p}). Claimed so those writes are not counted
 * as accesses to a missing device; the last code is kept for diagnosis. Reads give all-ones, as with no card.
 */
public final class PostCodePort implements BytePortIoDevice {

    public static final int PORT = 0x80;

    private volatile int lastCode = -1;

    @Override
    public int readByte(int offset) {
        return 0xff;
    }

    @Override
    public void writeByte(int offset, int value) {
        lastCode = value;
    }

    /** The last byte written, or -1 if none was. */
    public int lastCode() {
        return lastCode;
    }
}
