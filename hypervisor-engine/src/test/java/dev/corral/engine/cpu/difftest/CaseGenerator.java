package dev.corral.engine.cpu.difftest;

import java.util.List;
import java.util.Random;

/** Makes random cases of one instruction family: a starting state and a short instruction sequence. */
interface CaseGenerator {

    String family();

    Draft next(Random rnd);

    /** A generated case before layout: its instructions and the operand picker holding its state. */
    record Draft(String family, List<Insn> insns, Operands ops) {
        DiffCase assemble() {
            return Assembler.assemble(family, insns, ops);
        }
    }
}
