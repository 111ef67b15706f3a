package dev.corral.engine.cpu.decode;

/**
 * The privileged and system instructions a {@link Cpu#system} CPU decodes (the user-mode decoder refuses
 * them). Each becomes {@link Op#SYS} with a {@link SystemOps} sub-operation; privilege is checked when it
 * executes, since the CPL can change between decode and execution. INS/OUTS, SYSENTER,
 * MONITOR/MWAIT, RDTSCP and XGETBV stay #UD (none is advertised or needed by a 64-bit kernel); far
 * JMP/CALL through memory are {@link LegacyDecoder}'s, as is everything outside 64-bit mode that differs.
 */
final class SystemDecoder {
    private SystemDecoder() {
    }

    /** One-byte map: true when {@code b} was a system instruction and {@code i} is filled in. */
    static boolean decode1(Decoder d, Insn i, int b, int osz) {
        switch (b) {
            case 0xe4, 0xe5, 0xec, 0xed -> io(d, i, SysOp.IN, b);
            case 0xe6, 0xe7, 0xee, 0xef -> io(d, i, SysOp.OUT, b);
            case 0x6c, 0x6d, 0x6e, 0x6f -> throw d.ud(); // INS/OUTS: not implemented
            case 0xfa -> sys(i, SysOp.CLI);
            case 0xfb -> sys(i, SysOp.STI);
            case 0xf4 -> sys(i, SysOp.HLT);
            case 0xcc -> {
                sys(i, SysOp.INT);
                i.imm = 3;
                i.imm2 = 1; // INT3: the one-byte form
            }
            case 0xcd -> {
                sys(i, SysOp.INT);
                i.imm = d.fetch();
            }
            case 0xce -> throw d.ud(); // INTO does not exist in 64-bit mode
            case 0xf1 -> sys(i, SysOp.INT1);
            case 0xcf -> {
                sys(i, SysOp.IRET);
                i.size = farSize(d, osz);
            }
            case 0xca, 0xcb -> {
                sys(i, SysOp.RETF);
                i.size = farSize(d, osz);
                i.imm = b == 0xca ? d.fetchImm(2) & 0xffff : 0;
            }
            case 0x8c -> {
                d.modrm(i);
                if (d.modrmReg() > 5) {
                    throw d.ud();
                }
                sys(i, SysOp.MOV_FROM_SREG);
                i.imm = d.modrmReg();
                i.size = i.rm >= 0 ? osz : 2; // a register destination is zero-extended; memory gets 16 bits
            }
            case 0x8e -> {
                d.modrm(i);
                int sreg = d.modrmReg();
                if (sreg == 1 || sreg > 5) {
                    throw d.ud(); // MOV CS is invalid
                }
                sys(i, SysOp.MOV_TO_SREG);
                i.imm = sreg;
                i.size = 2;
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The 0F map: true when {@code b} was a system instruction. */
    static boolean decode0F(Decoder d, Insn i, int b, int osz) {
        switch (b) {
            case 0x00 -> {
                d.modrm(i);
                int r = d.modrmReg();
                if (r > 5) {
                    throw d.ud(); // the reserved encodings
                }
                if (r >= 4) {
                    sys(i, r == 4 ? SysOp.VERR : SysOp.VERW);
                    i.size = 2;
                    return true;
                }
                sys(i, SysOp.SLDT + r); // SLDT, STR, LLDT, LTR
                i.size = r <= 1 && i.rm >= 0 ? osz : 2;
            }
            case 0x01 -> group7(d, i, osz);
            case 0x05 -> sys(i, SysOp.SYSCALL);
            case 0x07 -> {
                sys(i, SysOp.SYSRET);
                i.size = (d.rex & 8) != 0 ? 8 : 4;
            }
            case 0x06 -> sys(i, SysOp.CLTS);
            case 0x08, 0x09 -> sys(i, SysOp.WBINVD);
            case 0x20, 0x22 -> {
                int m = d.fetch(); // always a register operand: the mod bits are ignored
                int cr = ((m >> 3) & 7) | ((d.rex & 4) << 1);
                if (cr != 0 && cr != 2 && cr != 3 && cr != 4 && cr != 8) {
                    throw d.ud();
                }
                sys(i, b == 0x20 ? SysOp.MOV_FROM_CR : SysOp.MOV_TO_CR);
                i.reg = cr;
                i.rm = (m & 7) | ((d.rex & 1) << 3);
            }
            case 0x21, 0x23 -> {
                int m = d.fetch();
                if ((d.rex & 4) != 0) {
                    throw d.ud(); // DR8..DR15 do not exist
                }
                sys(i, b == 0x21 ? SysOp.MOV_FROM_DR : SysOp.MOV_TO_DR);
                i.reg = (m >> 3) & 7;
                i.rm = (m & 7) | ((d.rex & 1) << 3);
            }
            case 0x30 -> sys(i, SysOp.WRMSR);
            case 0x32 -> sys(i, SysOp.RDMSR);
            case 0xa0, 0xa8 -> {
                sys(i, SysOp.PUSH_SREG);
                i.imm = b == 0xa0 ? 4 : 5;
                i.size = d.p66 ? 2 : 8;
            }
            case 0xa1, 0xa9 -> {
                sys(i, SysOp.POP_SREG);
                i.imm = b == 0xa1 ? 4 : 5;
                i.size = d.p66 ? 2 : 8;
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void group7(Decoder d, Insn i, int osz) {
        d.modrm(i);
        int r = d.modrmReg();
        if (i.rm >= 0) {
            int m = d.modrm;
            if (m == 0xf8) {
                sys(i, SysOp.SWAPGS);
                return;
            }
            switch (r) {
                case 4 -> {
                    sys(i, SysOp.SMSW);
                    i.size = osz;
                }
                case 6 -> {
                    sys(i, SysOp.LMSW);
                    i.size = 2;
                }
                default -> throw d.ud(); // MONITOR, MWAIT, XGETBV, RDTSCP, CLAC/STAC...: not advertised
            }
            return;
        }
        switch (r) {
            case 0 -> sys(i, SysOp.SGDT);
            case 1 -> sys(i, SysOp.SIDT);
            case 2 -> sys(i, SysOp.LGDT);
            case 3 -> sys(i, SysOp.LIDT);
            case 4 -> {
                sys(i, SysOp.SMSW);
                i.size = 2;
            }
            case 6 -> {
                sys(i, SysOp.LMSW);
                i.size = 2;
            }
            case 7 -> sys(i, SysOp.INVLPG);
            default -> throw d.ud();
        }
    }

    private static void io(Decoder d, Insn i, int sub, int b) {
        sys(i, sub);
        i.size = (b & 1) == 0 ? 1 : d.p66 ? 2 : 4; // REX.W does not make a 64-bit port access
        i.imm = b < 0xe8 ? d.fetch() : -1; // -1: the port is in DX
    }

    /** IRET and RETF: REX.W pops 8-byte slots, no prefix 4; the 16-bit forms are refused. */
    private static int farSize(Decoder d, int osz) {
        if (osz == 2) {
            throw d.ud();
        }
        return osz;
    }

    private static void sys(Insn i, int sub) {
        i.op = Op.SYS;
        i.sub = sub;
    }
}
