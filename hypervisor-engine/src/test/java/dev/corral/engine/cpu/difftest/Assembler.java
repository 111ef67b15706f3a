package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuState;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Lays out a sequence of generated instructions at {@link GuestLayout#CODE}, ends it with int3 and
 * works out which flags are defined at the end. An instruction that reads a flag left undefined by an
 * earlier one (ADC after MUL, a Jcc after AND reading AF...) would make the result undefined, so a
 * {@code cmp rax, rcx} is put before it. A branch's undefined flags flow to its target as well.
 */
final class Assembler {

    /** {@code cmp rax, rcx}: defines all six status flags. */
    private static final Insn DEFINE_FLAGS = Insn.of("cmp rax, rcx", 0x8d5, 0, 0, new byte[] {0x48, 0x39, (byte) 0xc8});
    private static final long ARITH = 0x8d5;

    private Assembler() {}

    static DiffCase assemble(String family, List<Insn> insns, Operands ops, long endRaxUndefinedBits) {
        return assemble(family, insns, ops.init, ops.data, endRaxUndefinedBits, ops.writableCode);
    }

    static DiffCase assemble(String family, List<Insn> insns, CpuState init, byte[] data, long endRaxUndefinedBits,
            boolean writableCode) {
        int n = insns.size();
        long[] undefAt = new long[n + 1];
        List<Insn> laid = new ArrayList<>();
        List<Integer> originOf = new ArrayList<>(); // index in laid -> original index
        int[] labelOf = new int[n + 1]; // original index -> index in laid
        long undef = 0;
        int undefGprs = 0;
        List<Long> undefBefore = new ArrayList<>(); // per laid instruction: flags undefined before it runs
        List<Integer> gprsBefore = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            undef |= undefAt[i];
            Insn insn = insns.get(i);
            labelOf[i] = laid.size();
            if ((insn.reads() & undef) != 0) {
                laid.add(DEFINE_FLAGS);
                originOf.add(i);
                undefBefore.add(undef);
                gprsBefore.add(undefGprs);
                undef = 0;
            }
            laid.add(insn);
            originOf.add(i);
            undefBefore.add(undef);
            gprsBefore.add(undefGprs);
            if (insn.skip() > 0) undefAt[Math.min(n, i + 1 + insn.skip())] |= undef;
            undef = (undef & ~(insn.defined() | insn.undefined())) | insn.undefined();
            undefGprs |= insn.undefinedGprs();
        }
        undef |= undefAt[n];
        labelOf[n] = laid.size();

        // Branches have a fixed length, so one pass finds every address.
        long[] address = new long[laid.size() + 1];
        address[0] = GuestLayout.CODE;
        for (int i = 0; i < laid.size(); i++) address[i + 1] = address[i] + laid.get(i).encoding().at(address[i]).length;
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        List<String> text = new ArrayList<>();
        for (int i = 0; i < laid.size(); i++) {
            Insn insn = laid.get(i);
            byte[] bytes;
            if (insn.skip() > 0) {
                int orig = originOf.get(i);
                long target = address[labelOf[Math.min(n, orig + 1 + insn.skip())]];
                bytes = insn.encoding().at(target - address[i + 1]);
            } else {
                bytes = insn.encoding().at(address[i]);
            }
            code.write(bytes, 0, bytes.length);
            text.add(insn.text());
        }
        code.write(GuestLayout.INT3);
        text.add("int3");
        int stops = laid.size() + 1;
        long[] stopAt = new long[stops];
        long[] compared = new long[stops];
        int[] gprs = new int[stops];
        for (int i = 0; i < laid.size(); i++) {
            stopAt[i] = address[i];
            compared[i] = GuestLayout.STATUS_FLAGS & ~(undefBefore.get(i) & ARITH);
            gprs[i] = gprsBefore.get(i);
        }
        stopAt[laid.size()] = address[laid.size()] + 1; // after the int3
        compared[laid.size()] = GuestLayout.STATUS_FLAGS & ~(undef & ARITH);
        gprs[laid.size()] = undefGprs;
        return new DiffCase(family, List.copyOf(text), code.toByteArray(), init.copy(), data.clone(), stopAt, compared,
                gprs, endRaxUndefinedBits, writableCode);
    }
}
