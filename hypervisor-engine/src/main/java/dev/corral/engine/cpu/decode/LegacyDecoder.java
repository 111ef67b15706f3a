package dev.corral.engine.cpu.decode;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.sys.Segments;

/**
 * The encodings whose meaning differs outside 64-bit mode (real, 16/32-bit protected and compatibility mode),
 * and the far forms of 64-bit mode. {@link Decoder} asks here first when it decodes legacy code; what is not
 * claimed here means the same in every mode (ALU, MOV, shifts, SSE, x87...) and is decoded as in 64-bit mode
 * with the operand and address size of the code segment.
 *
 * <p>Everything that touches the stack, a segment register, the instruction pointer or a descriptor table
 * becomes {@link Op#LEGACY} with a {@link LegacyOps} sub-operation. Encodings that exist only in 64-bit mode
 * (SYSCALL, SYSRET, SWAPGS) are #UD here, as are the ones this CPU does not implement in any mode (BOUND,
 * SALC, INS/OUTS, SYSENTER/SYSEXIT), and those that real mode refuses (ARPL and the 0F 00 group).
 */
public final class LegacyDecoder {
    private LegacyDecoder() {
    }

    private static final int[] BASE16 = {3, 3, 5, 5, 6, 7, 5, 3};
    private static final int[] INDEX16 = {6, 7, 6, 7, -1, -1, -1, -1};

    /**
     * Decodes the one instruction at offset {@code eip} of a code segment with base {@code csBase}, limit
     * {@code csLimit} and default size {@code codeSize} (2 or 4): a fetch beyond the limit is #GP(0).
     */
    public static Insn decode(Decoder d, long eip, int codeSize, long csBase, long csLimit, boolean realMode) {
        d.codeSize = codeSize;
        d.csBase = csBase;
        d.csLimit = csLimit;
        d.realMode = realMode;
        try {
            Insn i = d.decode(eip);
            finish(d, i);
            return i;
        } finally {
            d.codeSize = 8;
            d.csBase = 0;
            d.realMode = false;
        }
    }

    static long fetchAddress(Decoder d, long offset) {
        if (offset > d.csLimit) {
            throw new GuestFault(CpuExit.Fault.GP, 0, "instruction fetch at 0x" + Long.toHexString(offset)
                    + " beyond the code segment's limit 0x" + Long.toHexString(d.csLimit));
        }
        return (d.csBase + offset) & 0xffffffffL;
    }

    /** 16-bit ModRM addressing: [BX+SI], [BX+DI], [BP+SI], [BP+DI], [SI], [DI], [BP] or disp16, [BX]. */
    static void modrm16(Decoder d, Insn i, int m) {
        int mod = m >> 6;
        int rm = m & 7;
        i.rm = -1;
        i.scale = 0;
        if (mod == 0 && rm == 6) {
            i.base = -1;
            i.index = -1;
            i.disp = d.fetchImm(2) & 0xffff;
            return;
        }
        i.base = BASE16[rm];
        i.index = INDEX16[rm];
        if (mod == 1) {
            i.disp = d.fetchImm(1);
        } else if (mod == 2) {
            i.disp = d.fetchImm(2);
        }
    }

    /** After decoding: the default segment of a memory operand (SS for BP/SP-based ones) and a wrapped next IP. */
    private static void finish(Decoder d, Insn i) {
        if (i.sreg < 0) {
            i.sreg = d.sregOverride >= 0 ? d.sregOverride : i.base == CpuState.RSP || i.base == CpuState.RBP ? Segments.SS
                    : Segments.DS;
        }
        i.next &= d.codeSize == 2 ? 0xffff : 0xffffffffL;
    }

    private static void legacy(Insn i, int sub) {
        i.op = Op.LEGACY;
        i.sub = sub;
    }

    /** A relative branch target: the next IP plus the displacement, wrapped to the operand size. */
    private static long target(Decoder d, int dispSize, int osz) {
        long rel = d.fetchImm(dispSize);
        return (d.pc() + rel) & (osz == 2 ? 0xffff : 0xffffffffL);
    }

    /** One-byte map: true when {@code b} was claimed and {@code i} is filled in. */
    static boolean decode1(Decoder d, Insn i, int b, int osz) {
        switch (b) {
            case 0x06, 0x0e, 0x16, 0x1e -> {
                legacy(i, LegacyOp.PUSH_SREG);
                i.imm = b >> 3;
                i.size = osz;
            }
            case 0x07, 0x17, 0x1f -> {
                legacy(i, LegacyOp.POP_SREG);
                i.imm = b >> 3;
                i.size = osz;
            }
            case 0x27 -> legacy(i, LegacyOp.DAA);
            case 0x2f -> legacy(i, LegacyOp.DAS);
            case 0x37 -> legacy(i, LegacyOp.AAA);
            case 0x3f -> legacy(i, LegacyOp.AAS);
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f -> {
                i.op = b < 0x48 ? Op.INC : Op.DEC; // the one-byte INC/DEC that 64-bit mode gave to REX
                i.rm = b & 7;
                i.size = osz;
            }
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> {
                legacy(i, LegacyOp.PUSH_RM);
                i.rm = b & 7;
                i.size = osz;
            }
            case 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f -> {
                legacy(i, LegacyOp.POP_RM);
                i.rm = b & 7;
                i.size = osz;
            }
            case 0x60 -> {
                legacy(i, LegacyOp.PUSHA);
                i.size = osz;
            }
            case 0x61 -> {
                legacy(i, LegacyOp.POPA);
                i.size = osz;
            }
            case 0x63 -> {
                if (d.realMode) {
                    throw d.ud(); // ARPL is a protected-mode instruction
                }
                legacy(i, LegacyOp.ARPL);
                i.size = 2;
                d.modrm(i);
            }
            case 0x68, 0x6a -> {
                legacy(i, LegacyOp.PUSH_I);
                i.size = osz;
                i.imm = b == 0x68 ? d.fetchImm(osz) : d.fetchImm(1);
            }
            case 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f -> {
                legacy(i, LegacyOp.JCC);
                i.reg = b & 15;
                i.imm = target(d, 1, osz);
            }
            case 0x82 -> { // an alias of 80 outside 64-bit mode
                i.op = Op.ALU_RM_I;
                i.size = 1;
                d.modrm(i);
                i.sub = d.modrmReg();
                i.rm = i.rm >= 0 ? d.b8(i.rm) : -1;
                i.imm = d.fetchImm(1);
                if (i.sub != 7) {
                    d.lockable();
                }
            }
            case 0x8c -> {
                d.modrm(i);
                if (d.modrmReg() > 5) {
                    throw d.ud();
                }
                i.op = Op.SYS;
                i.sub = SysOp.MOV_FROM_SREG;
                i.imm = d.modrmReg();
                i.size = i.rm >= 0 ? osz : 2;
            }
            case 0x8e -> {
                d.modrm(i);
                int sreg = d.modrmReg();
                if (sreg == Segments.CS || sreg > 5) {
                    throw d.ud();
                }
                legacy(i, LegacyOp.MOV_SREG);
                i.imm = sreg;
                i.size = 2;
            }
            case 0x8d -> {
                d.modrm(i);
                d.requireMemory(i);
                legacy(i, LegacyOp.LEA);
                i.size = osz;
            }
            case 0x8f -> {
                d.modrm(i);
                if (d.modrmReg() != 0) {
                    throw d.ud();
                }
                legacy(i, LegacyOp.POP_RM);
                i.size = osz;
            }
            case 0x9a, 0xea -> {
                legacy(i, b == 0x9a ? LegacyOp.CALL_FAR : LegacyOp.JMP_FAR);
                i.size = osz;
                i.imm = d.fetchImm(osz) & (osz == 2 ? 0xffff : 0xffffffffL);
                i.imm2 = d.fetchImm(2) & 0xffff;
            }
            case 0x9c, 0x9d -> {
                legacy(i, b == 0x9c ? LegacyOp.PUSHF : LegacyOp.POPF);
                i.size = osz;
            }
            case 0xa0, 0xa1, 0xa2, 0xa3 -> { // MOV with a moffs: an offset of the address size
                i.op = b < 0xa2 ? Op.MOV_R_RM : Op.MOV_RM_R;
                i.size = (b & 1) == 0 ? 1 : osz;
                i.reg = 0;
                i.rm = -1;
                i.disp = d.addr16 ? d.fetchImm(2) & 0xffff : d.fetchImm(4) & 0xffffffffL;
            }
            case 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf -> {
                legacy(i, LegacyOp.STRING);
                i.reg = b & ~1; // which string instruction: its even opcode
                i.size = (b & 1) == 0 ? 1 : osz;
                i.rep = d.repPrefix == 0xf3 ? 3 : d.repPrefix == 0xf2 ? 2 : 0;
            }
            case 0xc2, 0xc3 -> {
                legacy(i, LegacyOp.RET);
                i.size = osz;
                i.imm = b == 0xc2 ? d.fetchImm(2) & 0xffff : 0;
            }
            case 0xc4, 0xc5 -> farPointerLoad(d, i, b == 0xc4 ? Segments.ES : Segments.DS, osz);
            case 0xc8 -> {
                legacy(i, LegacyOp.ENTER);
                i.size = osz;
                i.imm = d.fetchImm(2) & 0xffff;
                i.imm2 = d.fetchImm(1) & 0x1f;
            }
            case 0xc9 -> {
                legacy(i, LegacyOp.LEAVE);
                i.size = osz;
            }
            case 0xca, 0xcb -> {
                legacy(i, LegacyOp.RETF);
                i.size = osz;
                i.imm = b == 0xca ? d.fetchImm(2) & 0xffff : 0;
            }
            case 0xcc -> {
                legacy(i, LegacyOp.INT);
                i.imm = 3;
                i.imm2 = 1; // INT3: the one-byte form, no IOPL check in virtual-8086 mode
            }
            case 0xcd -> {
                legacy(i, LegacyOp.INT);
                i.imm = d.fetchImm(1) & 0xff;
            }
            case 0xce -> legacy(i, LegacyOp.INTO);
            case 0xcf -> {
                legacy(i, LegacyOp.IRET);
                i.size = osz;
            }
            case 0xd4, 0xd5 -> {
                legacy(i, b == 0xd4 ? LegacyOp.AAM : LegacyOp.AAD);
                i.imm = d.fetchImm(1) & 0xff;
            }
            case 0xd7 -> {
                legacy(i, LegacyOp.XLAT);
                i.size = 1;
            }
            case 0xe0, 0xe1, 0xe2 -> {
                legacy(i, LegacyOp.LOOP);
                i.reg = b - 0xe0; // 0 LOOPNE, 1 LOOPE, 2 LOOP
                i.imm = target(d, 1, osz);
            }
            case 0xe3 -> {
                legacy(i, LegacyOp.JCXZ);
                i.imm = target(d, 1, osz);
            }
            case 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef -> {
                i.op = Op.SYS;
                i.sub = (b & 2) == 0 ? SysOp.IN : SysOp.OUT;
                i.size = (b & 1) == 0 ? 1 : osz;
                i.imm = b < 0xe8 ? d.fetch() : -1;
            }
            case 0xe8 -> {
                legacy(i, LegacyOp.CALL);
                i.size = osz;
                i.imm = target(d, osz, osz);
            }
            case 0xe9, 0xeb -> {
                legacy(i, LegacyOp.JMP);
                i.size = osz;
                i.imm = target(d, b == 0xe9 ? osz : 1, osz);
            }
            case 0xd6, 0x62 -> throw d.ud(); // SALC and BOUND: not implemented
            case 0xff -> {
                int m = d.peekModrm();
                int r = (m >> 3) & 7;
                if (r < 2 || r == 7) {
                    return false; // INC, DEC (and the invalid /7) as in 64-bit mode
                }
                d.modrm(i);
                i.size = osz;
                switch (r) {
                    case 2 -> legacy(i, LegacyOp.CALL_RM);
                    case 4 -> legacy(i, LegacyOp.JMP_RM);
                    case 6 -> legacy(i, LegacyOp.PUSH_RM);
                    default -> farIndirect(d, i, r, osz);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** FF /3 and FF /5: far CALL or JMP through a pointer in memory, m16:16, m16:32 or (64-bit, REX.W) m16:64. */
    static void farIndirect(Decoder d, Insn i, int r, int osz) {
        d.requireMemory(i);
        legacy(i, r == 3 ? LegacyOp.CALL_FAR_M : LegacyOp.JMP_FAR_M);
        i.size = osz;
    }

    /** LDS, LES, LSS, LFS, LGS: a far pointer from memory into a segment register and a general register. */
    private static void farPointerLoad(Decoder d, Insn i, int sreg, int osz) {
        d.modrm(i);
        d.requireMemory(i);
        legacy(i, LegacyOp.LOAD_FAR);
        i.imm = sreg;
        i.size = osz;
    }

    /** The 0F map: true when {@code b} was claimed. */
    static boolean decode0F(Decoder d, Insn i, int b, int osz) {
        switch (b) {
            case 0x00 -> {
                if (d.realMode) {
                    throw d.ud();
                }
                int r = (d.peekModrm() >> 3) & 7;
                if (r == 2 || r == 3) {
                    d.modrm(i);
                    legacy(i, r == 2 ? LegacyOp.LLDT : LegacyOp.LTR);
                    i.size = 2;
                    return true;
                }
                return false; // SLDT, STR as in 64-bit mode
            }
            case 0x01 -> {
                int m = d.peekModrm();
                int r = (m >> 3) & 7;
                if (m >= 0xc0 || r == 4 || r == 6) {
                    if (m == 0xf8) {
                        throw d.ud(); // SWAPGS exists only in 64-bit mode
                    }
                    return false; // SMSW, LMSW and the register forms as in 64-bit mode
                }
                d.modrm(i);
                legacy(i, switch (r) {
                    case 0 -> LegacyOp.SGDT;
                    case 1 -> LegacyOp.SIDT;
                    case 2 -> LegacyOp.LGDT;
                    case 3 -> LegacyOp.LIDT;
                    default -> LegacyOp.INVLPG;
                });
                i.size = osz;
            }
            case 0x05, 0x07, 0x34, 0x35 -> throw d.ud(); // SYSCALL, SYSRET (64-bit mode only), SYSENTER/SYSEXIT
            case 0x20, 0x21, 0x22, 0x23 -> {
                int m = d.fetch(); // always a register operand: the mod bits are ignored
                int n = (m >> 3) & 7;
                if ((b == 0x20 || b == 0x22) && n != 0 && n != 2 && n != 3 && n != 4) {
                    throw d.ud();
                }
                legacy(i, switch (b) {
                    case 0x20 -> LegacyOp.MOV_FROM_CR;
                    case 0x21 -> LegacyOp.MOV_FROM_DR;
                    case 0x22 -> LegacyOp.MOV_TO_CR;
                    default -> LegacyOp.MOV_TO_DR;
                });
                i.reg = n;
                i.rm = m & 7;
            }
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f -> {
                legacy(i, LegacyOp.JCC);
                i.reg = b & 15;
                i.imm = target(d, osz, osz);
            }
            case 0xa0, 0xa8 -> {
                legacy(i, LegacyOp.PUSH_SREG);
                i.imm = b == 0xa0 ? Segments.FS : Segments.GS;
                i.size = osz;
            }
            case 0xa1, 0xa9 -> {
                legacy(i, LegacyOp.POP_SREG);
                i.imm = b == 0xa1 ? Segments.FS : Segments.GS;
                i.size = osz;
            }
            case 0xb2 -> farPointerLoad(d, i, Segments.SS, osz);
            case 0xb4 -> farPointerLoad(d, i, Segments.FS, osz);
            case 0xb5 -> farPointerLoad(d, i, Segments.GS, osz);
            default -> {
                return false;
            }
        }
        return true;
    }
}
