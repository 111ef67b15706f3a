package dev.corral.engine.devices.apic;

import java.util.Arrays;

/**
 * One of the local APIC's 256-bit registers indexed by vector: the IRR, the ISR or the TMR (SDM 10.8.4). Seen by
 * software as eight 32-bit slices; bit {@code v} is vector {@code v}. Not thread-safe: the owning APIC's lock
 * guards it.
 */
final class VectorRegister {

    private final long[] bits = new long[4];

    /** The highest vector whose bit is set, or -1. */
    int highest() {
        for (int i = 3; i >= 0; i--) {
            if (bits[i] != 0) {
                return i * 64 + 63 - Long.numberOfLeadingZeros(bits[i]);
            }
        }
        return -1;
    }

    boolean test(int vector) {
        return (bits[vector >>> 6] & 1L << vector) != 0;
    }

    void set(int vector) {
        bits[vector >>> 6] |= 1L << vector;
    }

    void clear(int vector) {
        bits[vector >>> 6] &= ~(1L << vector);
    }

    void set(int vector, boolean on) {
        if (on) {
            set(vector);
        } else {
            clear(vector);
        }
    }

    void clearAll() {
        Arrays.fill(bits, 0);
    }

    /** Bits {@code 32 * slice} to {@code 32 * slice + 31}, as the register page shows them at offset + 16 * slice. */
    long slice(int slice) {
        return bits[slice >> 1] >>> 32 * (slice & 1) & 0xffffffffL;
    }
}
