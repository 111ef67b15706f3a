package dev.corral.engine.cpu.difftest;

import static dev.corral.engine.cpu.difftest.Forms.op;

import java.util.List;

/** mov (all forms), movzx, movsx, movsxd, lea, xchg, bswap: no flags, all about widths and extension. */
final class MoveFamily {

    private MoveFamily() {}

    static CaseGenerator generator() {
        return new SequenceGenerator("move", 0, 8, o -> {}, List.of(
                MoveFamily::movStore, MoveFamily::movLoad, MoveFamily::movImmRm, MoveFamily::movImmReg,
                MoveFamily::extend, MoveFamily::movsxd, MoveFamily::lea, MoveFamily::xchg, MoveFamily::bswap,
                MoveFamily::moffs, MoveFamily::signExtendAccumulator, MoveFamily::nopOrUndefined, MoveFamily::gsRelative));
    }

    private static Insn movStore(Operands o) {
        int size = IntegerForms.size(o);
        Operand rm = o.dstRm(size);
        Operand.Reg r = o.srcReg(size);
        return Forms.rmReg("mov " + Operands.name(rm, size) + ", " + Operands.name(r, size), size, Forms.NONE,
                op(0x88), op(0x89), r, rm, new byte[0], 0, 0, 0);
    }

    private static Insn movLoad(Operands o) {
        int size = IntegerForms.size(o);
        Operand.Reg r = o.dstReg(size);
        Operand rm = o.srcRm(size);
        return Forms.rmReg("mov " + Operands.name(r, size) + ", " + Operands.name(rm, size), size, Forms.NONE,
                op(0x8a), op(0x8b), r, rm, new byte[0], 0, 0, 0);
    }

    private static Insn movImmRm(Operands o) {
        int size = IntegerForms.size(o);
        Operand rm = o.dstRm(size);
        int ib = IntegerForms.immBytes(size);
        long imm = Values.imm(o.rnd, ib);
        return Forms.modrm("mov " + Operands.name(rm, size) + ", " + Forms.hexImm(imm), size, Forms.NONE, op(0xc6),
                op(0xc7), 0, false, rm, Forms.imm(imm, ib), 0, 0, 0);
    }

    /** B0+r ib, B8+r iw/id, REX.W B8+r io (the only 64-bit immediate). */
    private static Insn movImmReg(Operands o) {
        int size = IntegerForms.size(o);
        Operand.Reg r = o.dstReg(size);
        int ib = size == 64 ? 8 : IntegerForms.immBytes(size);
        long imm = Values.imm(o.rnd, ib);
        byte[] bytes = X86.encodeOpReg(Forms.sizePrefix(size), size == 64, size == 8, op(size == 8 ? 0xb0 : 0xb8), r,
                Forms.imm(imm, ib));
        return Insn.of("mov " + Operands.regName(r, size) + ", " + Forms.hexImm(imm), 0, 0, 0, bytes);
    }

    /** movzx/movsx r16/32/64, r/m8 or r/m16. */
    private static Insn extend(Operands o) {
        boolean signed = o.rnd.nextBoolean();
        int from = o.rnd.nextBoolean() ? 8 : 16;
        int size = from == 8 ? 16 << o.rnd.nextInt(3) : 32 << o.rnd.nextInt(2);
        Operand.Reg r = Operand.Reg.of(o.dst());
        Operand rm = o.srcRm(from);
        int opcode = (signed ? 0xbe : 0xb6) + (from == 16 ? 1 : 0);
        String text = (signed ? "movsx " : "movzx ") + Operands.regName(r, size) + ", " + Operands.name(rm, from);
        // For a byte source, a REX prefix that SPL..DIL need is harmless to the wider destination.
        int[] pre = Forms.sizePrefix(size);
        Insn.Encoding enc = a -> X86.encode(pre, size == 64, from == 8, op(0x0f, opcode), r.num(), false, rm,
                new byte[0], a);
        enc.at(GuestLayout.CODE);
        return Insn.of(text, 0, 0, 0, enc);
    }

    private static Insn movsxd(Operands o) {
        Operand.Reg r = Operand.Reg.of(o.dst());
        Operand rm = o.srcRm(32);
        return Forms.rmReg("movsxd " + Operands.regName(r, 64) + ", " + Operands.name(rm, 32), 64, Forms.NONE,
                op(0x63), op(0x63), r, rm, new byte[0], 0, 0, 0);
    }

    /** mov to or from gs:[disp32] or gs:[index*scale+disp32]: the segment base is added to the address. */
    private static Insn gsRelative(Operands o) {
        int size = IntegerForms.size(o);
        boolean store = o.rnd.nextBoolean();
        boolean indexed = o.rnd.nextBoolean();
        Operand.Mem m = new Operand.Mem(-1, indexed ? o.index : -1, indexed ? 1 << o.rnd.nextInt(4) : 1,
                o.rnd.nextInt(0xc00), true);
        Operand.Reg r = store ? o.srcReg(size) : o.dstReg(size);
        String text = store ? "mov gs:" + Operands.memName(m, size) + ", " + Operands.regName(r, size)
                : "mov " + Operands.regName(r, size) + ", gs:" + Operands.memName(m, size);
        return Forms.rmReg(text, size, op(0x65), op(store ? 0x88 : 0x8a), op(store ? 0x89 : 0x8b), r, m, new byte[0],
                0, 0, 0);
    }

    /** One-byte opcodes that are invalid in 64-bit mode (#UD), each followed by bytes it would have used. */
    private static final int[] INVALID_IN_64 = {0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60,
        0x61, 0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea};

    /**
     * Multi-byte NOP with a memory operand (never accessed), PAUSE, and now and then an undefined
     * encoding (#UD on both): UD2, an opcode invalid in 64-bit mode, LOCK on a register destination.
     */
    private static Insn nopOrUndefined(Operands o) {
        return switch (o.rnd.nextInt(16)) {
            case 0 -> Insn.of("ud2", 0, 0, 0, new byte[] {0x0f, 0x0b});
            case 1 -> {
                int opcode = INVALID_IN_64[o.rnd.nextInt(INVALID_IN_64.length)];
                yield Insn.of(String.format("(invalid in 64-bit) %02x", opcode), 0, 0, 0,
                        new byte[] {(byte) opcode, 0x0a, 0, 0, 0, 0, 0});
            }
            case 2 -> Insn.of("lock add eax, ecx", 0, 0, 0, new byte[] {(byte) 0xf0, 0x01, (byte) 0xc8});
            case 3, 4 -> Insn.of("pause", 0, 0, 0, new byte[] {(byte) 0xf3, (byte) 0x90});
            default -> {
                int size = 16 << o.rnd.nextInt(2);
                Operand.Mem m = new Operand.Mem(o.rnd.nextInt(16), -1, 1, Values.imm(o.rnd, 4), true);
                yield Forms.modrm("nop " + Operands.memName(m, size), size, Forms.NONE, null, op(0x0f, 0x1f), 0, false, m,
                        new byte[0], 0, 0, 0);
            }
        };
    }

    /**
     * lea computes without touching memory, so any registers may form the address; with an
     * address-size prefix (67) the address wraps at 32 bits.
     */
    private static Insn lea(Operands o) {
        if (o.rnd.nextInt(4) == 0) {
            int size = 32 << o.rnd.nextInt(2);
            Operand.Reg r = Operand.Reg.of(o.dst());
            int index = o.rnd.nextInt(16);
            Operand.Mem m = new Operand.Mem(o.rnd.nextInt(16), index == 4 ? -1 : index, 1 << o.rnd.nextInt(4),
                    Values.imm(o.rnd, 4), o.rnd.nextBoolean());
            return Forms.rmReg("lea " + Operands.regName(r, size) + ", addr32 " + Operands.memName(m, 0), size, op(0x67),
                    op(0x8d), op(0x8d), r, m, new byte[0], 0, 0, 0);
        }
        int size = 16 << o.rnd.nextInt(3);
        if (size == 16 && o.rnd.nextBoolean()) size = 64;
        Operand.Reg r = Operand.Reg.of(o.dst());
        Operand.Mem m;
        if (o.rnd.nextInt(4) == 0) {
            m = o.mem(8);
        } else {
            int index = o.rnd.nextInt(16);
            m = new Operand.Mem(o.rnd.nextInt(16), index == 4 ? -1 : index, 1 << o.rnd.nextInt(4),
                    Values.imm(o.rnd, o.rnd.nextBoolean() ? 1 : 4), o.rnd.nextInt(6) == 0);
        }
        return Forms.rmReg("lea " + Operands.regName(r, size) + ", " + Operands.memName(m, 0), size, Forms.NONE,
                op(0x8d), op(0x8d), r, m, new byte[0], 0, 0, 0);
    }

    private static Insn xchg(Operands o) {
        int size = IntegerForms.size(o);
        if (size != 8 && o.rnd.nextInt(4) == 0 && !o.isPinned(0)) {
            Operand.Reg r = Operand.Reg.of(o.dst());
            byte[] bytes = X86.encodeOpReg(Forms.sizePrefix(size), size == 64, false, op(0x90), r, new byte[0]);
            return Insn.of("xchg " + Operands.regName(Operand.Reg.of(0), size) + ", " + Operands.regName(r, size),
                    0, 0, 0, bytes);
        }
        Operand rm = o.dstRm(size);
        Operand.Reg r = o.dstReg(size);
        return Forms.rmReg("xchg " + Operands.name(rm, size) + ", " + Operands.name(r, size), size,
                IntegerForms.lockIf(o, rm, true), op(0x86), op(0x87), r, rm, new byte[0], 0, 0, 0);
    }

    /** mov al/ax/eax/rax to or from a 64-bit absolute address (A0..A3). */
    private static Insn moffs(Operands o) {
        int size = IntegerForms.size(o);
        boolean store = o.rnd.nextBoolean();
        if (!store && o.isPinned(0)) return null;
        long address = GuestLayout.DATA + o.rnd.nextInt(GuestLayout.PAGE - 8);
        if (o.rnd.nextInt(50) == 0) address = GuestLayout.NO_ACCESS;
        int opcode = (store ? 0xa2 : 0xa0) + (size == 8 ? 0 : 1);
        byte[] bytes = X86.encode(Forms.sizePrefix(size), size == 64, false, op(opcode), 0, false, null,
                X86.le(address, 8), 0);
        String acc = Operands.regName(Operand.Reg.of(0), size);
        String mem = "[0x" + Long.toHexString(address) + "]";
        return Insn.of("mov " + (store ? mem + ", " + acc : acc + ", " + mem), 0, 0, 0, bytes);
    }

    /** cbw/cwde/cdqe (98) and cwd/cdq/cqo (99). */
    private static Insn signExtendAccumulator(Operands o) {
        boolean intoRdx = o.rnd.nextBoolean();
        if (o.isPinned(intoRdx ? 2 : 0)) return null;
        int size = 16 << o.rnd.nextInt(3);
        String[] names = intoRdx ? new String[] {"cwd", "cdq", "cqo"} : new String[] {"cbw", "cwde", "cdqe"};
        byte[] bytes = X86.encode(Forms.sizePrefix(size), size == 64, false, op(intoRdx ? 0x99 : 0x98), 0, false, null,
                new byte[0], 0);
        return Insn.of(names[size == 16 ? 0 : size == 32 ? 1 : 2], 0, 0, 0, bytes);
    }

    private static Insn bswap(Operands o) {
        boolean wide = o.rnd.nextBoolean();
        Operand.Reg r = Operand.Reg.of(o.dst());
        return Insn.of("bswap " + Operands.regName(r, wide ? 64 : 32), 0, 0, 0,
                X86.encodeOpReg(Forms.NONE, wide, false, op(0x0f, 0xc8), r, new byte[0]));
    }
}
