package dev.corral.engine.cpu.difftest;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A family as a list of instruction templates: each case is 1..{@code maxLength} instructions drawn
 * from them, after {@code setup} has prepared the state (pins, special values).
 */
final class SequenceGenerator implements CaseGenerator {

    private final String family;
    private final int reserved;
    private final Consumer<Operands> setup;
    private final List<Function<Operands, Insn>> templates;
    private final int maxLength;

    SequenceGenerator(String family, int reservedRegs, int maxLength, Consumer<Operands> setup,
            List<Function<Operands, Insn>> templates) {
        this.family = family;
        this.reserved = reservedRegs;
        this.maxLength = maxLength;
        this.setup = setup;
        this.templates = templates;
    }

    @Override
    public String family() {
        return family;
    }

    @Override
    public Draft next(Random rnd) {
        Operands ops = new Operands(rnd, reserved);
        setup.accept(ops);
        int length = 1 + rnd.nextInt(maxLength);
        List<Insn> insns = new ArrayList<>();
        while (insns.size() < length) {
            Function<Operands, Insn> t = templates.get(rnd.nextInt(templates.size()));
            try {
                Insn insn = t.apply(ops);
                if (insn != null) insns.add(insn);
            } catch (X86.Unencodable e) {
                // AH..BH met a REX prefix: draw again
            }
        }
        return new Draft(family, insns, ops);
    }
}
