package dev.corral.engine.cpu.difftest;

import java.util.ArrayList;
import java.util.List;

/** Compares the software CPU's outcome with the host's, field by field, for what is defined. */
final class Comparison {

    private Comparison() {}

    /** The differences, empty when the outcomes agree. */
    static List<String> differences(DiffCase c, Outcome expected, Outcome actual) {
        List<String> diffs = new ArrayList<>();
        if (expected.vector() != actual.vector()) {
            diffs.add("exit: expected " + exitName(expected) + ", got " + exitName(actual));
            return diffs;
        }
        check(diffs, "rip", expected.rip(), actual.rip());
        for (int i = 0; i < 16; i++) {
            if ((c.undefinedGprs(expected.rip()) & (1 << i)) != 0) continue;
            long bits = i == 0 ? c.raxCompared(expected.rip()) : -1L;
            check(diffs, Operands.R64[i], expected.state().gpr[i] & bits, actual.state().gpr[i] & bits);
        }
        long mask = c.comparedFlags(expected.rip());
        long e = expected.state().rflags & mask;
        long a = actual.state().rflags & mask;
        if (e != a) diffs.add("rflags (compared " + flagNames(mask) + "): expected " + flagNames(e) + ", got " + flagNames(a));
        for (int i = 0; i < 16; i++) {
            long eLo = expected.state().xmm[2 * i], eHi = expected.state().xmm[2 * i + 1];
            long aLo = actual.state().xmm[2 * i], aHi = actual.state().xmm[2 * i + 1];
            if (eLo != aLo || eHi != aHi) {
                diffs.add(String.format("xmm%d: expected %016x_%016x, got %016x_%016x", i, eHi, eLo, aHi, aLo));
            }
        }
        check(diffs, "mxcsr", expected.state().mxcsr, actual.state().mxcsr);
        if (expected.vector() == Outcome.PF) check(diffs, "fault address", expected.faultAddress(), actual.faultAddress());
        for (int i = 0; i < GuestLayout.PAGE; i++) {
            if (expected.data()[i] != actual.data()[i]) {
                int end = i;
                while (end < GuestLayout.PAGE && end < i + 16 && expected.data()[end] != actual.data()[end]) end++;
                diffs.add(String.format("memory 0x%x: expected %s, got %s", GuestLayout.DATA + i,
                        hex(expected.data(), i, end), hex(actual.data(), i, end)));
                break;
            }
        }
        return diffs;
    }

    static String exitName(Outcome o) {
        String what = switch (o.vector()) {
            case 0 -> "#DE";
            case Outcome.BP -> "int3 (completed)";
            case Outcome.UD -> "#UD";
            case 13 -> "#GP";
            case Outcome.PF -> "#PF";
            case 16 -> "#MF";
            case 17 -> "#AC";
            case 19 -> "#XM";
            case Outcome.SYSCALL -> "syscall";
            case Outcome.TIMEOUT -> "timeout";
            case Outcome.BROKEN -> "contract broken";
            default -> "vector " + o.vector();
        };
        return what + String.format(" at rip 0x%x", o.rip()) + (o.vector() == Outcome.BP ? "" : " (" + o.detail() + ")");
    }

    private static void check(List<String> diffs, String what, long expected, long actual) {
        if (expected != actual) diffs.add(String.format("%s: expected 0x%x, got 0x%x", what, expected, actual));
    }

    private static String hex(byte[] b, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) s.append(String.format("%02x", b[i] & 0xff));
        return s.toString();
    }

    static String flagNames(long flags) {
        String[] names = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "", "", "DF", "OF"};
        StringBuilder s = new StringBuilder("{");
        for (int i = 0; i < names.length; i++) {
            if (!names[i].isEmpty() && (flags & (1L << i)) != 0) s.append(s.length() > 1 ? " " : "").append(names[i]);
        }
        return s.append('}').toString();
    }
}
