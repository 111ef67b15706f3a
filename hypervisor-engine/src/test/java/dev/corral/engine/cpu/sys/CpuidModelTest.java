package dev.corral.engine.cpu.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.corral.engine.machine.TscClock;

/** The CPUID model: an Intel identity, exactly the implemented features, and the machine's topology and TSC. */
class CpuidModelTest {

    private final int[] out = new int[4];

    private int[] q(CpuidModel m, int leaf, int subleaf) {
        m.query(leaf, subleaf, out);
        return out.clone();
    }

    private static String text(int... words) {
        StringBuilder sb = new StringBuilder();
        for (int w : words) {
            for (int k = 0; k < 4; k++) {
                sb.append((char) ((w >>> (8 * k)) & 0xff));
            }
        }
        return sb.toString();
    }

    @Test
    void vendorIsGenuineIntelAndTheSignatureAnAtomBonnell() {
        int[] r = q(CpuidModel.system(), 0, 0);
        assertThat(r[0]).as("highest basic leaf: the TSC leaves 0x15 and 0x16 exist").isEqualTo(0x16);
        assertThat(text(r[1], r[3], r[2])).isEqualTo("GenuineIntel");
        int sig = q(CpuidModel.system(), 1, 0)[0];
        int family = (sig >>> 8) & 0xf;
        int model = ((sig >>> 4) & 0xf) | ((sig >>> 12) & 0xf0);
        assertThat(family).isEqualTo(6);
        assertThat(model).as("ATOM_BONNELL: on Linux's NO_SPECULATION list").isEqualTo(0x1c);
        assertThat(sig & 0xf).as("above 2: no Atom large-page erratum").isEqualTo(10);
    }

    @Test
    void featureBitsAreExactlyWhatIsImplemented() {
        CpuidModel m = CpuidModel.system();
        int[] l1 = q(m, 1, 0);
        assertThat(l1[3]).isEqualTo(CpuidModel.EDX1_FPU | CpuidModel.EDX1_PSE | CpuidModel.EDX1_TSC | CpuidModel.EDX1_MSR
                | CpuidModel.EDX1_PAE | CpuidModel.EDX1_CX8 | CpuidModel.EDX1_PGE | CpuidModel.EDX1_CMOV | CpuidModel.EDX1_PAT
                | CpuidModel.EDX1_MMX | CpuidModel.EDX1_FXSR | CpuidModel.EDX1_SSE | CpuidModel.EDX1_SSE2);
        assertThat(l1[2]).as("CX16, POPCNT, RDRAND and the hypervisor bit; no SSE3+, AVX, XSAVE, x2APIC, TSC deadline")
                .isEqualTo(CpuidModel.ECX1_CX16 | CpuidModel.ECX1_POPCNT | CpuidModel.ECX1_RDRAND | CpuidModel.ECX1_HYPERVISOR);
        int[] l7 = q(m, 7, 0);
        assertThat(l7[1]).as("TSC_ADJUST and RDSEED: no BMI, FSGSBASE, SMEP, ERMS").isEqualTo(CpuidModel.EBX7_TSC_ADJUST | CpuidModel.EBX7_RDSEED);
        assertThat(l7[2]).isZero();
        assertThat(l7[3]).isEqualTo(CpuidModel.EDX7_ARCH_CAPABILITIES);
        int[] e1 = q(m, 0x80000001, 0);
        assertThat(e1[2]).isEqualTo(CpuidModel.ECX81_LAHF | CpuidModel.ECX81_ABM);
        assertThat(e1[3]).isEqualTo(CpuidModel.EDX81_SYSCALL | CpuidModel.EDX81_NX | CpuidModel.EDX81_PAGE1GB
                | CpuidModel.EDX81_LM);
        assertThat(q(m, 6, 0)[0]).as("no APIC, no ARAT").isZero();
        assertThat(q(m, 0xa, 0)).as("no performance counters").containsOnly(0);
        assertThat(q(m, 0xd, 0)).as("no XSAVE state").containsOnly(0);
    }

    @Test
    void localApicFeaturesFollowThePlatform() {
        TscClock clock = new TscClock(() -> 0);
        CpuidModel m = CpuidModel.system(CpuidModel.Platform.of(2, clock).withLocalApic(true, true), 1);
        int[] l1 = q(m, 1, 0);
        assertThat(l1[3] & CpuidModel.EDX1_APIC).isNotZero();
        assertThat(l1[2] & CpuidModel.ECX1_X2APIC).isNotZero();
        assertThat(l1[2] & CpuidModel.ECX1_TSC_DEADLINE).isNotZero();
        assertThat(q(m, 6, 0)[0]).as("the APIC timer never stops").isEqualTo(CpuidModel.EAX6_ARAT);
        CpuidModel xapicOnly = CpuidModel.system(CpuidModel.Platform.of(2, clock).withLocalApic(false, false), 0);
        assertThat(q(xapicOnly, 1, 0)[2] & (CpuidModel.ECX1_X2APIC | CpuidModel.ECX1_TSC_DEADLINE)).isZero();
    }

    @Test
    void topologyNamesThisVcpuAndCountsThePackage() {
        CpuidModel m = CpuidModel.system(CpuidModel.Platform.of(3, new TscClock(() -> 0)), 2);
        int[] l1 = q(m, 1, 0);
        assertThat(l1[1] >>> 24).as("initial APIC id").isEqualTo(2);
        assertThat((l1[1] >>> 16) & 0xff).as("addressable ids in the package").isEqualTo(4);
        assertThat(l1[3] & CpuidModel.EDX1_HTT).isNotZero();
        int[] smt = q(m, 0xb, 0);
        assertThat(smt[0] & 0x1f).isZero();
        assertThat(smt[1]).as("one thread a core").isEqualTo(1);
        assertThat(smt[2]).isEqualTo(1 << 8);
        assertThat(smt[3]).isEqualTo(2);
        int[] core = q(m, 0xb, 1);
        assertThat(core[0] & 0x1f).as("bits of the APIC id below the package").isEqualTo(2);
        assertThat(core[1]).isEqualTo(3);
        assertThat(core[2]).isEqualTo(2 << 8 | 1);
        assertThat(core[3]).isEqualTo(2);
        assertThat(q(m, 0xb, 2)[2] >>> 8).as("the list ends").isZero();
        assertThat(q(m, 4, 0)[0] >>> 26).as("addressable cores - 1").isEqualTo(3);

        int[] one = q(CpuidModel.system(), 1, 0);
        assertThat((one[1] >>> 16) & 0xff).isEqualTo(1);
        assertThat(one[3] & CpuidModel.EDX1_HTT).isZero();
    }

    @Test
    void cacheLeavesDescribeL1AndL2AndEnd() {
        CpuidModel m = CpuidModel.system();
        assertThat(q(m, 2, 0)).as("descriptor 0xff: see leaf 4").containsExactly(0x0000ff01, 0, 0, 0);
        long[] sizes = new long[3];
        for (int k = 0; k < 3; k++) {
            int[] c = q(m, 4, k);
            long ways = (c[1] >>> 22) + 1;
            long partitions = ((c[1] >>> 12) & 0x3ff) + 1;
            long line = (c[1] & 0xfff) + 1;
            long sets = c[2] + 1L;
            sizes[k] = ways * partitions * line * sets;
            assertThat(c[0] & 0x1f).isEqualTo(k + 1); // data, instruction, unified
        }
        assertThat(sizes).containsExactly(32 << 10, 32 << 10, 1 << 20);
        assertThat(q(m, 4, 3)[0] & 0x1f).as("no more caches").isZero();
        assertThat(q(m, 0x80000006, 0)[2] >>> 16).as("L2 KiB").isEqualTo(1024);
    }

    @Test
    void tscFrequencyIsExactInLeaves15And16() {
        for (long hz : new long[] {1_000_000_000L, 2_400_000_000L, 3_000_000_000L, 7_000_000L}) {
            CpuidModel m = CpuidModel.system(CpuidModel.Platform.of(1, new TscClock(() -> 0, hz)), 0);
            int[] r = q(m, 0x15, 0);
            long crystal = Math.min(25_000_000L, hz);
            assertThat(r[2]).as("crystal Hz").isEqualTo((int) crystal);
            assertThat(crystal * r[1] / r[0]).isEqualTo(hz);
            assertThat(crystal * r[1] % r[0]).isZero();
            int[] f = q(m, 0x16, 0);
            assertThat(f[0]).isEqualTo((int) (hz / 1_000_000));
            assertThat(f[2]).isEqualTo((int) (crystal / 1_000_000));
        }
        assertThat(q(CpuidModel.system(), 0x80000007, 0)[3]).as("invariant TSC").isEqualTo(CpuidModel.EDX87_INVARIANT_TSC);
        assertThat(q(CpuidModel.system(), 0x80000008, 0)[0]).as("40 physical, 48 linear address bits").isEqualTo(0x3028);
        assertThat(q(CpuidModel.system(), 0x80000000, 0)[0]).isEqualTo(0x80000008);
    }

    @Test
    void hypervisorLeafNamesNoKnownHypervisor() {
        int[] r = q(CpuidModel.system(), 0x40000000, 0);
        assertThat(text(r[1], r[2], r[3])).isEqualTo("CorralSoftCP");
    }

    @Test
    void platformRefusesWhatCpuidCannotSay() {
        assertThatThrownBy(() -> new CpuidModel.Platform(2, false, true, false, 1_000_000_000L, 25_000_000L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local APIC");
        assertThatThrownBy(() -> new CpuidModel.Platform(0, false, false, false, 1_000_000_000L, 25_000_000L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 255");
        assertThatThrownBy(() -> new CpuidModel.Platform(1, false, false, false, 8_589_934_583L, 25_000_000L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly");
        assertThatThrownBy(() -> CpuidModel.system(CpuidModel.Platform.uniprocessor(), 255))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("broadcast");
    }
}
