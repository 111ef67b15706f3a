package dev.corral.engine.cpu.difftest;

/** Where a differential case lives, natively and in the software CPU alike (mirrors diffharness.c). */
final class GuestLayout {

    static final long CODE = 0x6000_0000L;
    static final long DATA = 0x7000_0000L;
    /** Mapped with no access natively and unmapped in the software CPU's memory: any access faults. */
    static final long NO_ACCESS = 0x5000_0000L;
    static final int PAGE = 4096;
    /** The GS base in both CPUs (FS is the harness's own TLS, so only GS overrides are generated). */
    static final long GS_BASE = DATA + 0x100;
    /** The status flags and DF: the only RFLAGS bits a case sets and compares. */
    static final long STATUS_FLAGS = 0xcd5L;
    static final int INT3 = 0xcc;

    private GuestLayout() {}
}
