package dev.corral.engine.cpu.difftest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.corral.engine.cpu.state.CpuState;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The software CPU against the host CPU: per instruction family, thousands of random sequences run
 * natively (diffharness.c) and in the interpreter; registers, defined flags, XMM, MXCSR, the data page
 * and the exit must be identical. The build uses a fixed seed, so that a red build means a change broke
 * something rather than that a new seed found an old bug; {@code -Dcpu.diff.seed=random} explores with a
 * new seed (printed), {@code -Dcpu.diff.seed=N} repeats a run, {@code -Dcpu.diff.cases=N} changes the cases
 * per family. A failing case is shrunk
 * and saved under {@code target/cpu-regressions-new/}; copy it to
 * {@code src/test/resources/cpu-regressions/} (with a name that says what it shows) to keep it, and
 * {@link CpuRegressionReplayTest} replays it on every build.
 *
 * <p>A family the software CPU does not implement at all (#UD in every case) is skipped with an
 * assumption that names the missing instructions; a #UD for some of a family's instructions fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CpuDifferentialTest {

    /** The seed every build runs (see the class comment for exploring others). */
    static final long BUILD_SEED = 20_261_125L;

    private NativeOracle oracle;
    private DifferentialRunner runner;
    private long seed;
    private int cases;

    @BeforeAll
    void startHarness() {
        assumeTrue(NativeOracle.hostIsX86_64(), "the differential test needs an x86-64 Linux host as its oracle");
        oracle = NativeOracle.start();
        runner = new DifferentialRunner(oracle);
        String chosen = System.getProperty("cpu.diff.seed", String.valueOf(BUILD_SEED));
        seed = chosen.equals("random") ? System.nanoTime() : Long.parseLong(chosen);
        cases = Integer.getInteger("cpu.diff.cases", 5000);
        System.out.println("CpuDifferentialTest: seed " + seed + " (repeat with -Dcpu.diff.seed=" + seed + "), "
                + cases + " cases per family");
    }

    @AfterAll
    void stopHarness() {
        if (oracle != null) oracle.close();
    }

    @Test
    void movesExtensionsLeaExchangeAndByteSwapMatchTheHostCpu() {
        check(MoveFamily.generator());
    }

    @Test
    void addSubtractCompareAndIncrementMatchTheHostCpu() {
        check(ArithFamilies.arithmetic());
    }

    @Test
    void bitwiseLogicMatchesTheHostCpu() {
        check(ArithFamilies.logic());
    }

    @Test
    void shiftsRotatesAndDoubleShiftsMatchTheHostCpu() {
        check(ShiftFamily.generator());
    }

    @Test
    void bitTestsMatchTheHostCpu() {
        check(BitFamilies.bitTest());
    }

    @Test
    void bitScansAndCountsMatchTheHostCpu() {
        NativeOracle.HostFeatures host = oracle.features();
        long ecx1 = softwareCpuid(1)[2], ebx7 = softwareCpuid(7)[1], ecx81 = softwareCpuid(0x8000_0001)[2];
        BitFamilies.Scans scans = new BitFamilies.Scans(host.popcnt() && (ecx1 & (1 << 23)) != 0,
                host.lzcnt() && (ecx81 & (1 << 5)) != 0, host.bmi1() && (ebx7 & (1 << 3)) != 0);
        System.out.println("CpuDifferentialTest: bit scans advertised by both CPUs: " + scans);
        check(BitFamilies.bitScan(scans));
    }

    @Test
    void multipliesAndDividesMatchTheHostCpu() {
        check(MulDivFamily.generator());
    }

    @Test
    void conditionalMovesSetsAndBranchesMatchTheHostCpu() {
        if (!oracle.features().syscallsTrap()) {
            System.out.println("CpuDifferentialTest: this host refuses seccomp filters, so no SYSCALL is generated");
        }
        check(BranchFamily.generator(oracle.features().syscallsTrap()));
    }

    @Test
    void pushPopCallReturnEnterAndLeaveMatchTheHostCpu() {
        check(new StackFamily());
    }

    @Test
    void stringInstructionsWithRepeatAndDirectionMatchTheHostCpu() {
        check(new StringFamily());
    }

    @Test
    void compareExchangeAndExchangeAddMatchTheHostCpu() {
        boolean cx16 = oracle.features().cx16() && (softwareCpuid(1)[2] & (1 << 13)) != 0;
        check(AtomicFamily.generator(cx16));
    }

    @Test
    void sse2IntegerInstructionsMatchTheHostCpu() {
        check(SseIntFamily.generator());
    }

    @Test
    void sseFloatingPointMatchesTheHostCpuOnSpecialValues() {
        check(SseFloatFamily.generator());
    }

    @Test
    void selfModifyingCodeRunsTheNewBytesLikeTheHostCpu() {
        check(new SelfModifyingFamily());
    }

    @Test
    void mmxIntegerInstructionsMatchTheHostCpu() {
        check(new MmxFamily());
    }

    @Test
    void x87LoadsArithmeticAndStoresMatchTheHostCpu() {
        check(new X87Family());
    }

    /** EAX, EBX, ECX, EDX of the software CPU's CPUID for {@code leaf}: what it advertises. */
    private static long[] softwareCpuid(int leaf) {
        CpuState s = new CpuState();
        s.gpr[0] = leaf;
        DiffCase c = DiffCase.uniform("cpuid", List.of("cpuid"), new byte[] {0x0f, (byte) 0xa2, (byte) 0xcc}, s,
                new byte[GuestLayout.PAGE], GuestLayout.STATUS_FLAGS, 0, 0, false);
        Outcome o = SoftwareRun.run(c);
        assertThat(o.vector()).as("CPUID in the software CPU: %s", o.detail()).isEqualTo(Outcome.BP);
        return new long[] {o.state().gpr[0], o.state().gpr[3], o.state().gpr[1], o.state().gpr[2]};
    }

    private void check(CaseGenerator generator) {
        DifferentialRunner.Report r = runner.run(generator, seed ^ generator.family().hashCode(), cases);
        System.out.println("CpuDifferentialTest: " + r.summary());
        String unimplemented = r.unimplementedDetails().entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(12)
                .map(e -> e.getValue() + "x " + e.getKey()).collect(Collectors.joining("\n  "));
        int completed = r.matched() - r.bothFaulted();
        assumeTrue(completed > 0 || r.unimplemented() == 0 || r.mismatched() > 0,
                () -> "the software CPU does not implement the " + r.family() + " family yet (#UD in every case):\n  "
                        + unimplemented);
        assertThat(r.mismatched()).as(() -> r.summary() + "\n" + String.join("\n", r.failures())).isZero();
        assertThat(r.unimplemented()).as(() -> r.summary() + "; #UD where the host executed:\n  " + unimplemented).isZero();
        assertThat(completed).as(() -> r.summary() + ": too few cases ran to the end to mean anything")
                .isGreaterThan(r.cases() / 4);
    }
}
