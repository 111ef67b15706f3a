package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.Cpu;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Runs a family's cases on the host and in the software CPU and tallies how they compare. A failing
 * case is shrunk (instructions dropped while it still fails) and saved as a regression vector under
 * {@code target/cpu-regressions-new/}, to be copied into {@code src/test/resources/cpu-regressions/}.
 */
final class DifferentialRunner {

    private static final int SAVED_PER_FAMILY = 5;

    /** How a family's cases went. */
    record Report(String family, long seed, int cases, int matched, int bothFaulted, int unimplemented,
            int mismatched, int hostTimeouts, Map<String, Integer> hostExits, Map<String, Integer> unimplementedDetails,
            List<String> failures) {

        String summary() {
            String ud = unimplementedDetails.isEmpty() ? "" : " " + unimplementedDetails.keySet().stream().limit(3).toList();
            return String.format("%s (seed %d): %d cases, %d matched (%d of them the same fault or syscall), %d #UD only in the"
                    + " software CPU%s, %d mismatched, %d host timeouts; host exits %s", family, seed, cases, matched,
                    bothFaulted, unimplemented, ud, mismatched, hostTimeouts, hostExits);
        }
    }

    private final NativeOracle oracle;
    private final Path saveDir;

    DifferentialRunner(NativeOracle oracle) {
        this.oracle = oracle;
        this.saveDir = Path.of(System.getProperty("basedir", ".")).resolve("target/cpu-regressions-new");
    }

    Report run(CaseGenerator generator, long seed, int cases) {
        Random rnd = new Random(seed);
        int matched = 0, bothFaulted = 0, unimplemented = 0, mismatched = 0, timeouts = 0;
        Map<String, Integer> unimplementedDetails = new TreeMap<>();
        Map<String, Integer> hostExits = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (int n = 0; n < cases; n++) {
            CaseGenerator.Draft draft = generator.next(rnd);
            DiffCase c = draft.assemble();
            Outcome expected = oracle.run(c);
            hostExits.merge(Comparison.exitName(expected).replaceAll(" at rip.*", ""), 1, Integer::sum);
            if (expected.vector() == Outcome.TIMEOUT) {
                // A generator bug (the sequences only branch forward); each costs the harness's 0.5 s timer.
                if (++timeouts > 10) throw new IllegalStateException(generator.family() + " generates endless cases: "
                        + c.listing());
                continue;
            }
            Outcome actual = SoftwareRun.run(c);
            if (actual.vector() == Outcome.UD && expected.vector() != Outcome.UD) {
                unimplemented++;
                unimplementedDetails.merge(String.valueOf(actual.detail()).replaceAll(" at rip 0x\\p{XDigit}+", ""), 1,
                        Integer::sum);
                continue;
            }
            Cpu.Translation tier = Cpu.Translation.OFF;
            List<String> diffs = Comparison.differences(c, expected, actual);
            if (diffs.isEmpty()) { // the same case again with every block translated
                tier = Cpu.Translation.ALWAYS;
                diffs = tagged(Comparison.differences(c, expected, SoftwareRun.run(c, tier)), tier);
            }
            if (diffs.isEmpty()) {
                matched++;
                if (!expected.completed()) bothFaulted++;
                continue;
            }
            mismatched++;
            if (failures.size() < SAVED_PER_FAMILY) {
                Failure failure = new Failure(c, expected, diffs);
                Failure shrunk = generator.shrinkable() ? shrink(draft, failure, tier) : failure;
                Path saved = save(shrunk, seed, n);
                failures.add("case " + n + ": " + shrunk.c.listing() + "\n    code " + X86.hex(shrunk.c.code())
                        + "\n    " + String.join("\n    ", shrunk.diffs) + "\n    saved as " + saved);
            }
        }
        return new Report(generator.family(), seed, cases, matched, bothFaulted, unimplemented, mismatched, timeouts,
                hostExits, unimplementedDetails, failures);
    }

    private record Failure(DiffCase c, Outcome expected, List<String> diffs) {}

    /** Drops instructions one at a time while the case still fails, to leave the few that matter. */
    private Failure shrink(CaseGenerator.Draft draft, Failure failure, Cpu.Translation tier) {
        List<Insn> insns = new ArrayList<>(draft.insns());
        boolean progress = true;
        while (progress && insns.size() > 1) {
            progress = false;
            for (int i = 0; i < insns.size(); i++) {
                List<Insn> fewer = new ArrayList<>(insns);
                fewer.remove(i);
                DiffCase c = draft.assemble(fewer);
                Outcome expected = oracle.run(c);
                if (expected.vector() == Outcome.TIMEOUT) continue;
                Outcome actual = SoftwareRun.run(c, tier);
                List<String> diffs = tagged(Comparison.differences(c, expected, actual), tier);
                if (!diffs.isEmpty() && !(actual.vector() == Outcome.UD && expected.vector() != Outcome.UD)) {
                    insns = fewer;
                    failure = new Failure(c, expected, diffs);
                    progress = true;
                    break;
                }
            }
        }
        return failure;
    }

    /** Differences of the translated tier say so (the interpreter's are the default). */
    private static List<String> tagged(List<String> diffs, Cpu.Translation tier) {
        return tier == Cpu.Translation.OFF ? diffs : diffs.stream().map(d -> "[translated] " + d).toList();
    }

    private Path save(Failure f, long seed, int n) {
        try {
            Files.createDirectories(saveDir);
            Path file = saveDir.resolve(f.c.family() + "-" + Long.toUnsignedString(seed, 16) + "-" + n + ".txt");
            String why = "Found by the differential test (family " + f.c.family() + ", seed " + seed + ", case " + n
                    + ").\nThe software CPU differed from the host CPU:\n" + String.join("\n", f.diffs);
            Files.writeString(file, new RegressionVector(f.c, f.expected).toText(why));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not save a regression vector", e);
        }
    }
}
