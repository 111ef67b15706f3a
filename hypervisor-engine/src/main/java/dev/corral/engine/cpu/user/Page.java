package dev.corral.engine.cpu.user;

/**
 * One materialized 4 KiB page of a {@link UserAddressSpace}. After a fork, parent and child hold
 * distinct {@code Page} objects over the same {@code data} array, both marked {@code shared}; whichever
 * writes first copies the array (copy-on-write), so the array is never written while shared.
 */
final class Page {
    byte[] data;
    int prot;
    /** The CPU decoded instructions from this page: writes must be reported. */
    boolean watched;
    /** {@code data} may be referenced by another address space: copy before writing. */
    boolean shared;

    Page(byte[] data, int prot, boolean shared) {
        this.data = data;
        this.prot = prot;
        this.shared = shared;
    }
}
