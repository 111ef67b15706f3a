package dev.corral.engine.cpu;

/**
 * What CPUID tells the guest. The standard model advertises the x86-64 baseline that glibc's static
 * startup insists on (CMOV, CX8, FPU, FXSR, MMX, SSE, SSE2: a binary marked "x86 ISA needed:
 * x86-64-baseline" refuses to start without it) plus CX16, POPCNT, LAHF/SAHF and LZCNT (ABM).
 * BMI1 is not advertised (its VEX-encoded ANDN, BEXTR, BLSI, BLSMSK, BLSR are not implemented), yet
 * F3 0F BC executes as TZCNT, as on the hosts we compare against: compilers emit it as "rep bsf" for
 * CPUs without BMI1, relying only on the result for a non-zero source, where both agree. It advertises exactly the features the interpreter implements, because
 * libc picks its string and memory routines from these bits: a bit set for an unimplemented extension
 * would send the guest into instructions that fault with #UD.
 *
 * <p>Unknown leaves return zeros (as a CPU does for leaves above its maximum, minus Intel's quirk of
 * repeating the highest basic leaf, which nothing should rely on).
 */
public final class CpuidModel {

    /** Leaf 1 EDX bits. */
    public static final int EDX1_FPU = 1, EDX1_TSC = 1 << 4, EDX1_CX8 = 1 << 8, EDX1_CMOV = 1 << 15,
            EDX1_MMX = 1 << 23, EDX1_FXSR = 1 << 24, EDX1_SSE = 1 << 25, EDX1_SSE2 = 1 << 26;
    /** Leaf 1 EDX bits of the system model. */
    public static final int EDX1_PSE = 1 << 3, EDX1_MSR = 1 << 5, EDX1_PAE = 1 << 6, EDX1_PGE = 1 << 13,
            EDX1_PAT = 1 << 16;
    /** Leaf 1 ECX bits. */
    public static final int ECX1_CX16 = 1 << 13, ECX1_POPCNT = 1 << 23;
    /** Leaf 7 (subleaf 0) EBX bits. */
    public static final int EBX7_BMI1 = 1 << 3;
    /** Leaf 0x80000001 ECX / EDX bits. */
    public static final int ECX81_LAHF = 1, ECX81_ABM = 1 << 5;
    public static final int EDX81_SYSCALL = 1 << 11, EDX81_NX = 1 << 20, EDX81_PAGE1GB = 1 << 26, EDX81_LM = 1 << 29;

    private final String vendor;
    private final int leaf1Ecx;
    private final int leaf1Edx;
    private final int leaf7Ebx;
    private final int ext1Ecx;
    private final int ext1Edx;

    public CpuidModel(String vendor, int leaf1Ecx, int leaf1Edx, int leaf7Ebx, int ext1Ecx, int ext1Edx) {
        if (vendor.length() != 12) {
            throw new IllegalArgumentException("a CPUID vendor string has exactly 12 characters, got \"" + vendor + "\"");
        }
        this.vendor = vendor;
        this.leaf1Ecx = leaf1Ecx;
        this.leaf1Edx = leaf1Edx;
        this.leaf7Ebx = leaf7Ebx;
        this.ext1Ecx = ext1Ecx;
        this.ext1Edx = ext1Edx;
    }

    /**
     * What a kernel on a {@link Cpu#system} CPU is told: the user-mode features plus the system ones it
     * implements (PSE, MSR, PAE, PGE, PAT, 1 GiB pages). No APIC, no SYSENTER, no PCID.
     */
    public static CpuidModel system() {
        CpuidModel u = standard();
        return new CpuidModel(u.vendor, u.leaf1Ecx,
                u.leaf1Edx | EDX1_PSE | EDX1_MSR | EDX1_PAE | EDX1_PGE | EDX1_PAT,
                u.leaf7Ebx, u.ext1Ecx, u.ext1Edx | EDX81_PAGE1GB);
    }

    /** The features this package implements. */
    public static CpuidModel standard() {
        return new CpuidModel("CorralSoftCP",
                ECX1_CX16 | ECX1_POPCNT,
                EDX1_FPU | EDX1_TSC | EDX1_CX8 | EDX1_CMOV | EDX1_FXSR | EDX1_MMX | EDX1_SSE | EDX1_SSE2,
                0,
                ECX81_LAHF | ECX81_ABM,
                EDX81_SYSCALL | EDX81_NX | EDX81_LM);
    }

    public boolean has1Edx(int bit) {
        return (leaf1Edx & bit) != 0;
    }

    public boolean has1Ecx(int bit) {
        return (leaf1Ecx & bit) != 0;
    }

    /** Fills {@code out} with EAX, EBX, ECX, EDX for the given leaf and subleaf. */
    public void query(int leaf, int subleaf, int[] out) {
        out[0] = out[1] = out[2] = out[3] = 0;
        switch (leaf) {
            case 0 -> {
                out[0] = 7;
                out[1] = word(0);
                out[3] = word(4);
                out[2] = word(8);
            }
            case 1 -> {
                // family 6, model 0x0f, stepping 1; CLFLUSH line size 8 qwords (64 bytes), one logical CPU.
                out[0] = 0x000006f1;
                out[1] = (8 << 8) | (1 << 16);
                out[2] = leaf1Ecx;
                out[3] = leaf1Edx;
            }
            case 7 -> {
                if (subleaf == 0) {
                    out[1] = leaf7Ebx;
                }
            }
            case 0x80000000 -> out[0] = 0x80000004;
            case 0x80000001 -> {
                out[2] = ext1Ecx;
                out[3] = ext1Edx;
            }
            case 0x80000002, 0x80000003, 0x80000004 -> brand(leaf - 0x80000002, out);
            default -> { }
        }
    }

    private int word(int offset) {
        return vendor.charAt(offset) | vendor.charAt(offset + 1) << 8 | vendor.charAt(offset + 2) << 16
                | vendor.charAt(offset + 3) << 24;
    }

    private static final String BRAND = "Corral software x86-64 interpreter";

    private static void brand(int part, int[] out) {
        for (int r = 0; r < 4; r++) {
            int v = 0;
            for (int b = 0; b < 4; b++) {
                int idx = part * 16 + r * 4 + b;
                int ch = idx < BRAND.length() ? BRAND.charAt(idx) : 0;
                v |= ch << (8 * b);
            }
            out[r] = v;
        }
    }
}
