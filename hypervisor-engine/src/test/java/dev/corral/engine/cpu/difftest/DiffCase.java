package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuState;
import java.util.List;

/**
 * One differential case: code placed at {@link GuestLayout#CODE} ending in int3, the initial register
 * state, the data page, and what of the result is architecturally defined. That depends on where the
 * case stopped (a fault stops it early), so it is kept per instruction boundary: {@code stops[i]} is an
 * address where the case may stop, with the RFLAGS bits to compare there and the general registers
 * whose value is undefined there. The last entry is the end (after the int3). {@code endRaxUndefinedBits}
 * are bits of RAX left undefined at the end (the x87 condition codes a final FNSTSW AX may carry).
 * {@code writableCode}: the guest may write its own code page (self-modifying code cases).
 */
record DiffCase(String family, List<String> text, byte[] code, CpuState init, byte[] data, long[] stops,
        long[] comparedFlags, int[] undefinedGprs, long endRaxUndefinedBits, boolean writableCode) {

    /** A case whose defined state is the same wherever it stops (regression vectors, probes). */
    static DiffCase uniform(String family, List<String> text, byte[] code, CpuState init, byte[] data, long comparedFlags,
            int undefinedGprs, long endRaxUndefinedBits, boolean writableCode) {
        return new DiffCase(family, text, code, init, data, new long[] {GuestLayout.CODE + code.length},
                new long[] {comparedFlags}, new int[] {undefinedGprs}, endRaxUndefinedBits, writableCode);
    }

    /** Bits of RAX to compare when the case stopped at {@code rip}. */
    long raxCompared(long rip) {
        return rip == stops[stops.length - 1] ? ~endRaxUndefinedBits : -1L;
    }

    /**
     * The boundary a stop at {@code rip} belongs to: the last one at or before it (a fault inside a
     * setup-plus-instruction unit is judged by what was defined before the unit, which only masks more).
     */
    private int stopIndex(long rip) {
        int best = stops.length - 1;
        for (int i = 0; i < stops.length; i++) {
            if (stops[i] == rip) return i;
            if (stops[i] < rip && (best == stops.length - 1 || stops[i] > stops[best]) && i < stops.length - 1) best = i;
        }
        return rip >= stops[stops.length - 1] ? stops.length - 1 : best;
    }

    long comparedFlags(long rip) {
        return comparedFlags[stopIndex(rip)];
    }

    int undefinedGprs(long rip) {
        return undefinedGprs[stopIndex(rip)];
    }

    String listing() {
        return String.join(" ; ", text);
    }
}
