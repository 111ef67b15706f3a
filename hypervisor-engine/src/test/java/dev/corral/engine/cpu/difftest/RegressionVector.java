package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A case the software CPU once got wrong, with the outcome the host CPU gave, as a small text file
 * ({@code key: value} lines; data as hex, 64 bytes a line; only the changed bytes of the result's
 * data page, as {@code offset:hex} runs). Replayed without the host CPU.
 */
record RegressionVector(DiffCase c, Outcome expected) {

    private static final HexFormat HEX = HexFormat.of();

    String toText(String why) {
        StringBuilder s = new StringBuilder();
        s.append("# ").append(why.replace("\n", "\n# ")).append('\n');
        s.append("family: ").append(c.family()).append('\n');
        s.append("listing: ").append(c.listing()).append('\n');
        s.append("code: ").append(HEX.formatHex(c.code())).append('\n');
        if (c.writableCode()) s.append("code.writable: true\n");
        appendState(s, "init", c.init());
        for (int i = 0; i < GuestLayout.PAGE; i += 64) {
            s.append("data: ").append(HEX.formatHex(c.data(), i, i + 64)).append('\n');
        }
        s.append("compare.flags: ").append(Long.toHexString(c.comparedFlags(expected.rip()))).append('\n');
        s.append("compare.undefined-gprs: ").append(Integer.toHexString(c.undefinedGprs(expected.rip()))).append('\n');
        s.append("compare.rax-undefined-bits: ").append(Long.toHexString(c.raxCompared(expected.rip()) == -1L ? 0
                : c.endRaxUndefinedBits())).append('\n');
        s.append("expect.vector: ").append(expected.vector()).append('\n');
        s.append("expect.rip: ").append(Long.toHexString(expected.rip())).append('\n');
        s.append("expect.fault-address: ").append(Long.toHexString(expected.faultAddress())).append('\n');
        appendState(s, "expect", expected.state());
        for (int i = 0; i < GuestLayout.PAGE; i++) {
            if (expected.data()[i] == c.data()[i]) continue;
            int end = i;
            while (end < GuestLayout.PAGE && expected.data()[end] != c.data()[end]) end++;
            s.append("expect.data: ").append(Integer.toHexString(i)).append(':')
                    .append(HEX.formatHex(expected.data(), i, end)).append('\n');
            i = end;
        }
        return s.toString();
    }

    private static void appendState(StringBuilder s, String prefix, CpuState st) {
        s.append(prefix).append(".gpr:");
        for (long g : st.gpr) s.append(' ').append(Long.toHexString(g));
        s.append('\n').append(prefix).append(".rflags: ").append(Long.toHexString(st.rflags)).append('\n');
        s.append(prefix).append(".xmm:");
        for (long x : st.xmm) s.append(' ').append(Long.toHexString(x));
        s.append('\n').append(prefix).append(".mxcsr: ").append(Integer.toHexString(st.mxcsr)).append('\n');
    }

    static RegressionVector parse(String text) {
        Map<String, List<String>> kv = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int colon = line.indexOf(':');
            if (colon < 0) throw new IllegalArgumentException("not a key: value line: " + line);
            kv.computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>()).add(line.substring(colon + 1).trim());
        }
        byte[] data = HEX.parseHex(String.join("", kv.get("data")));
        DiffCase c = DiffCase.uniform(one(kv, "family"), List.of(one(kv, "listing").split(" ; ")),
                HEX.parseHex(one(kv, "code")), state(kv, "init"), data,
                Long.parseUnsignedLong(one(kv, "compare.flags"), 16),
                Integer.parseUnsignedInt(one(kv, "compare.undefined-gprs"), 16),
                Long.parseUnsignedLong(kv.getOrDefault("compare.rax-undefined-bits", List.of("0")).getFirst(), 16),
                kv.containsKey("code.writable"));
        byte[] expectedData = data.clone();
        for (String run : kv.getOrDefault("expect.data", List.of())) {
            int colon = run.indexOf(':');
            byte[] bytes = HEX.parseHex(run.substring(colon + 1));
            System.arraycopy(bytes, 0, expectedData, Integer.parseInt(run.substring(0, colon), 16), bytes.length);
        }
        CpuState st = state(kv, "expect");
        long rip = Long.parseUnsignedLong(one(kv, "expect.rip"), 16);
        st.rip = rip;
        Outcome expected = new Outcome(Integer.parseInt(one(kv, "expect.vector")), rip, st, expectedData,
                Long.parseUnsignedLong(one(kv, "expect.fault-address"), 16), "recorded from the host CPU");
        return new RegressionVector(c, expected);
    }

    private static String one(Map<String, List<String>> kv, String key) {
        List<String> v = kv.get(key);
        if (v == null || v.size() != 1) throw new IllegalArgumentException("a regression vector needs exactly one " + key);
        return v.getFirst();
    }

    private static CpuState state(Map<String, List<String>> kv, String prefix) {
        CpuState st = new CpuState();
        long[] gpr = longs(one(kv, prefix + ".gpr"));
        long[] xmm = longs(one(kv, prefix + ".xmm"));
        System.arraycopy(gpr, 0, st.gpr, 0, 16);
        System.arraycopy(xmm, 0, st.xmm, 0, 32);
        st.rflags = Long.parseUnsignedLong(one(kv, prefix + ".rflags"), 16);
        st.mxcsr = Integer.parseUnsignedInt(one(kv, prefix + ".mxcsr"), 16);
        return st;
    }

    private static long[] longs(String s) {
        return Arrays.stream(s.trim().split("\\s+")).mapToLong(x -> Long.parseUnsignedLong(x, 16)).toArray();
    }
}
