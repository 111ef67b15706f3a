package dev.corral.engine.cpu.difftest;

import java.util.List;
import java.util.Random;

/** Makes random cases of one instruction family: a starting state and a short instruction sequence. */
interface CaseGenerator {

    String family();

    Draft next(Random rnd);

    /**
     * Whether dropping instructions from a case keeps it meaningful. Not so where the generator keeps
     * an invariant across the sequence (the x87 stack depth, what FNSTSW's condition bits mean).
     */
    default boolean shrinkable() {
        return true;
    }

    /**
     * A generated case before layout: its instructions, the operand picker holding its state, and the
     * bits of RAX it leaves undefined at its end.
     */
    record Draft(String family, List<Insn> insns, Operands ops, long endRaxUndefinedBits) {
        Draft(String family, List<Insn> insns, Operands ops) {
            this(family, insns, ops, 0);
        }

        DiffCase assemble() {
            return assemble(insns);
        }

        DiffCase assemble(List<Insn> subset) {
            return Assembler.assemble(family, subset, ops, endRaxUndefinedBits);
        }
    }
}
