package dev.corral.engine.cpu.difftest;

/**
 * One generated instruction. {@code encoding} gives its bytes at an address (RIP-relative operands
 * depend on it). The flag sets are what the Intel SDM says the instruction does to CF PF AF ZF SF OF:
 * {@code defined} it sets from its result, {@code undefined} it leaves architecturally undefined (not
 * compared afterwards), {@code reads} it consumes. {@code undefinedGprs} are registers whose value it
 * leaves undefined. {@code skip} &gt; 0 marks a branch whose target is {@code skip} instructions past the
 * next one; its encoding is then given the relative displacement instead of an address.
 */
record Insn(String text, long defined, long undefined, long reads, int undefinedGprs, int skip, Encoding encoding) {

    @FunctionalInterface
    interface Encoding {
        byte[] at(long address);
    }

    static Insn of(String text, long defined, long undefined, long reads, byte[] bytes) {
        return new Insn(text, defined, undefined, reads, 0, 0, a -> bytes);
    }

    static Insn of(String text, long defined, long undefined, long reads, Encoding encoding) {
        return new Insn(text, defined, undefined, reads, 0, 0, encoding);
    }

    Insn leavingUndefined(int gprMask) {
        return new Insn(text, defined, undefined, reads, undefinedGprs | gprMask, skip, encoding);
    }
}
