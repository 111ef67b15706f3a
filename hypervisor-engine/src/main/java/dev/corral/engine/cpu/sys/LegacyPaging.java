package dev.corral.engine.cpu.sys;

import dev.corral.engine.cpu.state.CpuState;

/**
 * Page walks outside long mode, for {@link PagedMemory}: PAE paging (CR4.PAE: a 4-entry page-directory-pointer
 * table at CR3, then 8-byte page directories and tables, 2 MiB or 4 KiB pages, NX with EFER.NXE) and 32-bit
 * paging (4-byte entries, 4 MiB pages with CR4.PSE, 4 KiB pages). Permissions and the accessed and dirty bits
 * follow the manual as the 4-level walk does; reserved bits are not checked. The four PDPTEs are read on every
 * walk rather than cached when CR3 is loaded, so a guest that rewrites them without reloading CR3 sees the new
 * ones earlier than the hardware would show them.
 */
final class LegacyPaging {
    private LegacyPaging() {
    }

    private static final long P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, NX = 1L << 63;
    private static final long ADDR_4K = 0x000ffffffffff000L;

    /** The physical address of 32-bit linear address {@code a} for an access of {@code kind}. */
    static long walk(PagedMemory m, CpuState s, long a, int kind, boolean user) {
        return (s.cr4 & CpuState.CR4_PAE) != 0 ? pae(m, s, a, kind, user) : twoLevel(m, s, a, kind, user);
    }

    private static long pae(PagedMemory m, CpuState s, long a, int kind, boolean user) {
        long pdpteAddr = (s.cr3 & 0xffffffe0L) + ((a >>> 30) & 3) * 8;
        long pdpte = m.entry(pdpteAddr, 8);
        if ((pdpte & P) == 0) {
            throw m.pageFault(a, kind, false);
        }
        boolean nxe = (s.efer & CpuState.EFER_NXE) != 0;
        long pdeAddr = (pdpte & ADDR_4K) + ((a >>> 21) & 511) * 8;
        long pde = m.entry(pdeAddr, 8);
        if ((pde & P) == 0) {
            throw m.pageFault(a, kind, false);
        }
        if ((pde & PS) != 0) {
            check(m, s, a, kind, user, pde, pde, nxe && (pde & NX) != 0);
            setBits(m, pdeAddr, 8, pde, kind);
            m.walkSpan = 0x1fffffL;
            return (pde & 0x000fffffffe00000L) | (a & 0x1fffff);
        }
        long pteAddr = (pde & ADDR_4K) + ((a >>> 12) & 511) * 8;
        long pte = m.entry(pteAddr, 8);
        if ((pte & P) == 0) {
            throw m.pageFault(a, kind, false);
        }
        check(m, s, a, kind, user, pde, pte, nxe && ((pde | pte) & NX) != 0);
        setBits(m, pdeAddr, 8, pde, -1);
        setBits(m, pteAddr, 8, pte, kind);
        return (pte & ADDR_4K) | (a & 0xfff);
    }

    private static long twoLevel(PagedMemory m, CpuState s, long a, int kind, boolean user) {
        long pdeAddr = (s.cr3 & 0xfffff000L) + ((a >>> 22) & 1023) * 4;
        long pde = m.entry(pdeAddr, 4);
        if ((pde & P) == 0) {
            throw m.pageFault(a, kind, false);
        }
        if ((pde & PS) != 0 && (s.cr4 & CpuState.CR4_PSE) != 0) {
            check(m, s, a, kind, user, pde, pde, false);
            setBits(m, pdeAddr, 4, pde, kind);
            m.walkSpan = 0x3fffffL;
            return (pde & 0xffc00000L) | (a & 0x3fffff);
        }
        long pteAddr = (pde & 0xfffff000L) + ((a >>> 12) & 1023) * 4;
        long pte = m.entry(pteAddr, 4);
        if ((pte & P) == 0) {
            throw m.pageFault(a, kind, false);
        }
        check(m, s, a, kind, user, pde, pte, false);
        setBits(m, pdeAddr, 4, pde, -1);
        setBits(m, pteAddr, 4, pte, kind);
        return (pte & 0xfffff000L) | (a & 0xfff);
    }

    /** U/S and R/W must allow the access at both levels (writes by the supervisor only with CR0.WP); NX forbids fetches. */
    private static void check(PagedMemory m, CpuState s, long a, int kind, boolean user, long upper, long leaf, boolean noExec) {
        boolean userOk = (upper & leaf & US) != 0;
        boolean writable = (upper & leaf & RW) != 0;
        if (user && !userOk) {
            throw m.pageFault(a, kind, true);
        }
        if (kind == PagedMemory.WRITE && !writable && (user || (s.cr0 & CpuState.CR0_WP) != 0)) {
            throw m.pageFault(a, kind, true);
        }
        if (kind == PagedMemory.EXEC && noExec) {
            throw m.pageFault(a, kind, true);
        }
    }

    /** Sets the accessed bit, and the dirty bit of the leaf a write goes through ({@code kind} -1: not the leaf). */
    private static void setBits(PagedMemory m, long at, int size, long e, int kind) {
        long bits = A | (kind == PagedMemory.WRITE ? D : 0);
        if ((e & bits) != bits) {
            m.writeEntry(at, size, e | bits);
        }
    }
}
