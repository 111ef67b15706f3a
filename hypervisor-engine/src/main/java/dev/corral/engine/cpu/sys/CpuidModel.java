package dev.corral.engine.cpu.sys;

import dev.corral.engine.machine.TscClock;

/**
 * What CPUID tells the guest: one model for the system CPU and the user-mode CPU, parameterised by the machine
 * ({@link Platform}: how many vCPUs, whether there is a local APIC, x2APIC, a TSC-deadline timer, the TSC
 * frequency) and by the vCPU (its APIC id).
 *
 * <p>The identity is an Intel Atom of the Bonnell core (vendor {@code GenuineIntel}, family 6, model 0x1c,
 * stepping 10, as the Atom D510 reports), chosen because it is what this CPU is: in-order and non-speculative.
 * Linux lists that model as {@code NO_SPECULATION} (arch/x86/kernel/cpu/common.c), so it sets none of its
 * transient-execution bugs and every file in {@code /sys/devices/system/cpu/vulnerabilities} says "Not affected";
 * Linux 6.1's quirks for the model are all harmless here (the Atom large-page erratum needs stepping 2 or less;
 * model 0x1c is at least 0xe, so the TSC counts at a constant rate; it gets REP_GOOD string routines; the perf
 * driver finds no PMU). Being Intel, Linux reads the TSC frequency from leaves 0x15 and 0x16 and glibc reads leaf
 * 1 and the cache leaves 2 and 4.
 *
 * <p>Feature bits describe exactly what is implemented: the x86-64 baseline glibc's startup insists on (CMOV, CX8,
 * FPU, FXSR, MMX, SSE, SSE2), CX16, POPCNT, LAHF/SAHF and LZCNT, the paging and MSR features of the system CPU
 * (PSE, MSR, PAE, PGE, PAT, NX, 1 GiB pages), SYSCALL, TSC_ADJUST and IA32_ARCH_CAPABILITIES, RDRAND and RDSEED
 * (from the host's SecureRandom: a guest has entropy from its first instruction, as on hardware and under KVM, and
 * Linux's CRNG is ready at once instead of mixing interrupt timings for seconds); APIC, x2APIC and
 * TSC-deadline only when the platform has them. Not AVX, XSAVE, SSE3 or later, BMI, RDTSCP, MTRR, MCE,
 * SYSENTER, PCID: libc picks its routines from these bits, and a bit set for an unimplemented extension would send
 * it into #UD. F3 0F BC still executes as TZCNT, as on the hosts we compare against: compilers emit it as
 * "rep bsf" for CPUs without BMI1, relying only on the result for a non-zero source, where both agree.
 *
 * <p>The hypervisor bit (leaf 1 ECX bit 31) is set. It is true, and Linux then leaves bare-metal machinery alone:
 * the microcode loader, the uncore and C-state PMUs and their model-specific MSRs, split-lock detection, the
 * TSC-deadline microcode check; it keeps PAT on without MTRRs and uses a test-and-set spinlock that tolerates a
 * preempted vCPU. Leaf 0x40000000 names no known hypervisor, so no paravirtual interface is expected.
 *
 * <p>Caches (leaves 2, 4 and 0x80000006) describe a plausible hierarchy (32 KiB L1d and L1i, 1 MiB L2 per core);
 * this CPU has none, so any sizes are equally true, and these make glibc and Linux pick ordinary thresholds
 * rather than degenerate ones. Topology (leaves 1, 4, 0xB): one package of {@code vcpus} cores, one thread each,
 * x2APIC id = APIC id. Leaves 0x15 and 0x16 give the TSC frequency exactly: crystal {@link Platform#crystalHz()}
 * times a reduced ratio; Linux also takes the crystal as the local APIC timer's frequency, so the local APIC must
 * count at {@code crystalHz}. Leaf 0x80000007 EDX bit 8: the TSC is invariant.
 *
 * <p>Unknown leaves return zeros (as a CPU does for leaves above its maximum, minus Intel's quirk of repeating
 * the highest basic leaf, which nothing should rely on).
 */
public final class CpuidModel {

    /** Leaf 1 EDX bits. */
    public static final int EDX1_FPU = 1, EDX1_TSC = 1 << 4, EDX1_CX8 = 1 << 8, EDX1_CMOV = 1 << 15,
            EDX1_MMX = 1 << 23, EDX1_FXSR = 1 << 24, EDX1_SSE = 1 << 25, EDX1_SSE2 = 1 << 26;
    /** Leaf 1 EDX bits of the system features. */
    public static final int EDX1_PSE = 1 << 3, EDX1_MSR = 1 << 5, EDX1_PAE = 1 << 6, EDX1_APIC = 1 << 9,
            EDX1_PGE = 1 << 13, EDX1_PAT = 1 << 16, EDX1_HTT = 1 << 28;
    /** Leaf 1 ECX bits. */
    public static final int ECX1_CX16 = 1 << 13, ECX1_X2APIC = 1 << 21, ECX1_POPCNT = 1 << 23,
            ECX1_TSC_DEADLINE = 1 << 24, ECX1_RDRAND = 1 << 30, ECX1_HYPERVISOR = 1 << 31;
    /** Leaf 6 EAX: the APIC timer runs in every C-state. */
    public static final int EAX6_ARAT = 1 << 2;
    /** Leaf 7 (subleaf 0) EBX and EDX bits. */
    public static final int EBX7_TSC_ADJUST = 1 << 1, EBX7_BMI1 = 1 << 3, EBX7_RDSEED = 1 << 18, EDX7_ARCH_CAPABILITIES = 1 << 29;
    /** Leaf 0x80000001 ECX / EDX bits. */
    public static final int ECX81_LAHF = 1, ECX81_ABM = 1 << 5;
    public static final int EDX81_SYSCALL = 1 << 11, EDX81_NX = 1 << 20, EDX81_PAGE1GB = 1 << 26, EDX81_LM = 1 << 29;
    /** Leaf 0x80000007 EDX: invariant TSC. */
    public static final int EDX87_INVARIANT_TSC = 1 << 8;

    /** Family 6, model 0x1c (extended model 1, model 0xc), stepping 10. */
    static final int SIGNATURE = 0x000106ca;
    /** Physical and linear address bits (leaf 0x80000008). */
    static final int PHYSICAL_BITS = 40, LINEAR_BITS = 48;
    private static final String VENDOR = "GenuineIntel";
    private static final String HYPERVISOR = "CorralSoftCP";
    private static final String BRAND = "Corral software x86-64 interpreter";
    private static final int MAX_BASIC = 0x16, MAX_EXTENDED = 0x80000008;

    /**
     * The machine the vCPUs sit in, as CPUID describes it.
     *
     * @param vcpus       vCPUs in the VM (1-255: one package, one core each)
     * @param localApic   each vCPU has a local APIC (xAPIC at 0xfee00000)
     * @param x2apic      the local APIC also offers x2APIC mode (MSRs 0x800-0x8ff)
     * @param tscDeadline the local APIC timer has TSC-deadline mode (IA32_TSC_DEADLINE)
     * @param tscHz       the TSC frequency ({@link TscClock#frequencyHz()})
     * @param crystalHz   the core crystal clock: leaf 0x15's base, and the local APIC timer's frequency
     */
    public record Platform(int vcpus, boolean localApic, boolean x2apic, boolean tscDeadline, long tscHz, long crystalHz) {

        /** 25 MHz, the crystal of many Intel parts. */
        public static final long DEFAULT_CRYSTAL_HZ = 25_000_000L;

        public Platform {
            if (vcpus < 1 || vcpus > 255) {
                throw new IllegalArgumentException("a CPUID model describes 1 to 255 vCPUs, not " + vcpus);
            }
            if ((x2apic || tscDeadline) && !localApic) {
                throw new IllegalArgumentException("x2APIC and the TSC-deadline timer are parts of a local APIC, and this platform has none");
            }
            if (tscHz < 1_000_000 || tscHz > 9_000_000_000L) {
                throw new IllegalArgumentException("a TSC frequency of " + tscHz + " Hz is not in 1 MHz-9 GHz");
            }
            if (crystalHz < 1_000_000 || crystalHz > tscHz) {
                throw new IllegalArgumentException("a crystal of " + crystalHz + " Hz is not in 1 MHz to the TSC frequency " + tscHz);
            }
            long g = gcd(tscHz, crystalHz);
            if (tscHz / g > 0xffffffffL || crystalHz / g > 0xffffffffL) {
                throw new IllegalArgumentException("CPUID 0x15 cannot state a TSC of " + tscHz + " Hz exactly as a ratio to a "
                        + crystalHz + " Hz crystal");
            }
        }

        /** Today's machine: one vCPU, no local APIC, the default TSC frequency. */
        public static Platform uniprocessor() {
            return new Platform(1, false, false, false, TscClock.DEFAULT_FREQUENCY_HZ, DEFAULT_CRYSTAL_HZ);
        }

        /**
         * {@code vcpus} vCPUs without a local APIC (to be given one with {@link #withLocalApic}), the TSC on
         * {@code tsc}, a 25 MHz crystal (or the TSC's frequency, if lower).
         */
        public static Platform of(int vcpus, TscClock tsc) {
            return new Platform(vcpus, false, false, false, tsc.frequencyHz(), Math.min(DEFAULT_CRYSTAL_HZ, tsc.frequencyHz()));
        }

        public Platform withLocalApic(boolean x2apic, boolean tscDeadline) {
            return new Platform(vcpus, true, x2apic, tscDeadline, tscHz, crystalHz);
        }

        private static long gcd(long a, long b) {
            while (b != 0) {
                long t = a % b;
                a = b;
                b = t;
            }
            return a;
        }
    }

    private static final int LEAF7_EBX = EBX7_TSC_ADJUST | EBX7_RDSEED;

    private final Platform platform;
    private final int apicId;
    private final int leaf1Ecx;
    private final int leaf1Edx;

    private CpuidModel(Platform platform, int apicId) {
        if (apicId < 0 || apicId > 254) {
            throw new IllegalArgumentException("APIC id " + apicId + " is not in 0-254 (255 is the broadcast id)");
        }
        this.platform = platform;
        this.apicId = apicId;
        int ecx = ECX1_CX16 | ECX1_POPCNT | ECX1_RDRAND | ECX1_HYPERVISOR;
        int edx = EDX1_FPU | EDX1_TSC | EDX1_CX8 | EDX1_CMOV | EDX1_FXSR | EDX1_MMX | EDX1_SSE | EDX1_SSE2
                | EDX1_PSE | EDX1_MSR | EDX1_PAE | EDX1_PGE | EDX1_PAT;
        if (platform.localApic()) {
            edx |= EDX1_APIC;
        }
        if (platform.x2apic()) {
            ecx |= ECX1_X2APIC;
        }
        if (platform.tscDeadline()) {
            ecx |= ECX1_TSC_DEADLINE;
        }
        if (platform.vcpus() > 1) {
            edx |= EDX1_HTT; // leaf 1 EBX[23:16] counts the package's logical processors
        }
        this.leaf1Ecx = ecx;
        this.leaf1Edx = edx;
    }

    /** The model of vCPU {@code apicId} in a machine like {@code platform}. */
    public static CpuidModel system(Platform platform, int apicId) {
        return new CpuidModel(platform, apicId);
    }

    /** The model of today's one-vCPU machine without a local APIC. */
    public static CpuidModel system() {
        return system(Platform.uniprocessor(), 0);
    }

    /**
     * What the user-mode CPU tells its programs: the same model, as a process on the system CPU would see it
     * (CPUID is not privileged).
     */
    public static CpuidModel standard() {
        return system();
    }

    public Platform platform() {
        return platform;
    }

    public int apicId() {
        return apicId;
    }

    public boolean has1Edx(int bit) {
        return (leaf1Edx & bit) != 0;
    }

    public boolean has1Ecx(int bit) {
        return (leaf1Ecx & bit) != 0;
    }

    /** Leaf 7 (subleaf 0) EBX. */
    public boolean has7Ebx(int bit) {
        return (LEAF7_EBX & bit) != 0;
    }

    /** Fills {@code out} with EAX, EBX, ECX, EDX for the given leaf and subleaf. */
    public void query(int leaf, int subleaf, int[] out) {
        out[0] = out[1] = out[2] = out[3] = 0;
        switch (leaf) {
            case 0 -> {
                out[0] = MAX_BASIC;
                out[1] = word(VENDOR, 0);
                out[3] = word(VENDOR, 4);
                out[2] = word(VENDOR, 8);
            }
            case 1 -> {
                out[0] = SIGNATURE;
                // CLFLUSH line 8 qwords (64 bytes), the package's addressable logical processors, the initial APIC id.
                out[1] = (8 << 8) | (idSpace() << 16) | (apicId << 24);
                out[2] = leaf1Ecx;
                out[3] = leaf1Edx;
            }
            case 2 -> out[0] = 0x0000ff01; // one iteration; descriptor 0xff: the caches are in leaf 4
            case 4 -> cache(subleaf, out);
            case 6 -> out[0] = platform.localApic() ? EAX6_ARAT : 0;
            case 7 -> {
                if (subleaf == 0) {
                    out[1] = LEAF7_EBX;
                    out[3] = EDX7_ARCH_CAPABILITIES;
                }
            }
            case 0xb -> topology(subleaf, out);
            case 0x15 -> {
                long g = Platform.gcd(platform.tscHz(), platform.crystalHz());
                out[0] = (int) (platform.crystalHz() / g); // TSC = crystal * EBX / EAX
                out[1] = (int) (platform.tscHz() / g);
                out[2] = (int) platform.crystalHz();
            }
            case 0x16 -> {
                out[0] = (int) (platform.tscHz() / 1_000_000); // base and maximum MHz: one frequency, no turbo
                out[1] = out[0];
                out[2] = (int) (platform.crystalHz() / 1_000_000); // the bus (reference) clock
            }
            case 0x40000000 -> {
                out[0] = 0x40000000;
                out[1] = word(HYPERVISOR, 0);
                out[2] = word(HYPERVISOR, 4);
                out[3] = word(HYPERVISOR, 8);
            }
            case 0x80000000 -> out[0] = MAX_EXTENDED;
            case 0x80000001 -> {
                out[2] = ECX81_LAHF | ECX81_ABM;
                out[3] = EDX81_SYSCALL | EDX81_NX | EDX81_PAGE1GB | EDX81_LM;
            }
            case 0x80000002, 0x80000003, 0x80000004 -> brand(leaf - 0x80000002, out);
            case 0x80000006 -> out[2] = (1024 << 16) | (0x8 << 12) | 64; // L2: 1024 KiB, 16-way, 64-byte lines
            case 0x80000007 -> out[3] = EDX87_INVARIANT_TSC;
            case 0x80000008 -> out[0] = PHYSICAL_BITS | (LINEAR_BITS << 8);
            default -> { }
        }
    }

    /** Addressable ids for the package's cores: the vCPU count rounded up to a power of two. */
    private int idSpace() {
        return 1 << idBits();
    }

    private int idBits() {
        return 32 - Integer.numberOfLeadingZeros(platform.vcpus() - 1);
    }

    /** Leaf 4: deterministic cache parameters; subleaves 0-2 are L1d, L1i, L2, then the null entry. */
    private void cache(int subleaf, int[] out) {
        int type;
        int level;
        int ways;
        int sets;
        switch (subleaf) {
            case 0 -> {
                type = 1; // data
                level = 1;
                ways = 8;
                sets = 64; // 32 KiB
            }
            case 1 -> {
                type = 2; // instruction
                level = 1;
                ways = 8;
                sets = 64;
            }
            case 2 -> {
                type = 3; // unified
                level = 2;
                ways = 16;
                sets = 1024; // 1 MiB
            }
            default -> {
                return; // type 0: no more caches
            }
        }
        // Self-initialising; shared by one thread (one per core); [31:26] the package's addressable cores - 1.
        out[0] = type | (level << 5) | (1 << 8) | ((idSpace() - 1) << 26);
        out[1] = 63 | (ways - 1) << 22; // 64-byte lines, one partition
        out[2] = sets - 1;
    }

    /** Leaf 0xB: extended topology. Level 0 the SMT level (one thread a core), level 1 the cores of the package. */
    private void topology(int subleaf, int[] out) {
        out[3] = apicId;
        out[2] = subleaf & 0xff;
        switch (subleaf) {
            case 0 -> {
                out[1] = 1;
                out[2] |= 1 << 8; // SMT
            }
            case 1 -> {
                out[0] = idBits();
                out[1] = platform.vcpus();
                out[2] |= 2 << 8; // core
            }
            default -> { } // invalid level: the list ends
        }
    }

    private static int word(String s, int offset) {
        return s.charAt(offset) | s.charAt(offset + 1) << 8 | s.charAt(offset + 2) << 16 | s.charAt(offset + 3) << 24;
    }

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
