package dev.corral.engine.cpu.decode;

import java.util.ArrayList;

import dev.corral.engine.cpu.state.CpuMemory;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.sys.Segments;

/**
 * Decodes 64-bit mode x86 instructions into {@link Insn}s and groups them into {@link Block}s. The
 * one-byte and 0F maps live here; SSE ({@link SseDecoder}) and x87 ({@link X87Decoder}) have their own.
 * Anything not implemented is #UD naming the bytes: never a guess.
 *
 * <p>Legacy and compatibility-mode code ({@link LegacyDecoder#decode}) is decoded one instruction at a time with
 * the code segment's sizes: no REX, segment override prefixes, 16-bit ModRM addressing, and
 * {@link LegacyDecoder} for the encodings whose meaning differs there.
 */
public final class Decoder {

    /** Longest block, in instructions: bounds decode work wasted when code is rewritten. */
    public static final int MAX_BLOCK = 48;

    private final CpuMemory mem;
    final CpuidModel cpuid;
    /** Decode privileged instructions (a {@link Cpu#system} CPU) rather than refusing them as user mode does. */
    final boolean system;

    // Per-instruction decode state.
    private long start;
    private long pc;
    private final int[] bytes = new int[15];
    int rex;
    boolean p66;
    boolean p67;
    boolean lock;
    /** Last of F2/F3 seen, 0 if none. */
    int repPrefix;
    private boolean lockable;
    private boolean ripRel;
    int modrm;
    // Legacy and compatibility modes (decodeLegacy); 64-bit mode keeps codeSize 8 and a zero CS base.
    /** The code segment's default operand size: 8 (64-bit mode), 4 or 2. */
    int codeSize = 8;
    boolean realMode;
    /** This instruction's address size is 16 bits. */
    boolean addr16;
    /** The segment override prefix (0 ES .. 5 GS), -1 when none. */
    int sregOverride = -1;
    long csBase;
    long csLimit;

    public Decoder(CpuMemory mem, CpuidModel cpuid) {
        this(mem, cpuid, false);
    }

    public Decoder(CpuMemory mem, CpuidModel cpuid, boolean system) {
        this.mem = mem;
        this.cpuid = cpuid;
        this.system = system;
    }

    long pc() {
        return pc;
    }

    /** The next byte (a ModRM), without consuming it. */
    int peekModrm() {
        int b = fetch();
        pc--;
        return b;
    }

    /** {@code op} ends a block: control leaves it, or it may change the mapping of the code after it. */
    public static boolean endsBlock(int op) {
        return switch (op) {
            case Op.JCC, Op.JMP, Op.JMP_RM, Op.CALL, Op.CALL_RM, Op.RET, Op.SYSCALL, Op.INT3, Op.HLT, Op.JRCXZ,
                 Op.LOOP, Op.SYS, Op.LEGACY -> true; // a system instruction may change the mapping of what follows it
            default -> false;
        };
    }

    int fetch() {
        int n = (int) (pc - start);
        if (n >= 15) {
            throw GuestFault.gp("instruction longer than 15 bytes at rip 0x" + Long.toHexString(start));
        }
        int b = mem.fetch8(codeSize == 8 ? pc : LegacyDecoder.fetchAddress(this, pc)) & 0xff;
        pc++;
        bytes[n] = b;
        return b;
    }

    long fetchImm(int size) {
        long v = 0;
        for (int k = 0; k < size; k++) {
            v |= (long) fetch() << (8 * k);
        }
        return switch (size) {
            case 1 -> (byte) v;
            case 2 -> (short) v;
            case 4 -> (int) v;
            default -> v;
        };
    }

    /** Immediate of an operand of {@code size}: imm8, imm16, or imm32 sign-extended for 32/64. */
    long fetchImmZ(int size) {
        return fetchImm(size == 8 ? 4 : size);
    }

    GuestFault ud() {
        StringBuilder sb = new StringBuilder("unimplemented or invalid instruction");
        int n = (int) (pc - start);
        for (int k = 0; k < n; k++) {
            sb.append(k == 0 ? " " : " ").append(String.format("%02x", bytes[k]));
        }
        sb.append(" at rip 0x").append(Long.toHexString(start));
        return GuestFault.ud(sb.toString());
    }

    /** Register number for a byte operand: without REX, 4..7 are AH, CH, DH, BH (16..19). */
    int b8(int r) {
        return (rex == 0 && r >= 4 && r < 8) ? r + 12 : r;
    }

    /** Reads ModRM (and SIB, displacement) into {@code i.reg} and {@code i.rm}/memory fields. */
    void modrm(Insn i) {
        int m = fetch();
        modrm = m;
        int mod = m >> 6;
        i.reg = ((m >> 3) & 7) | ((rex & 4) << 1);
        int rm = m & 7;
        if (mod == 3) {
            i.rm = rm | ((rex & 1) << 3);
            return;
        }
        if (addr16) {
            LegacyDecoder.modrm16(this, i, m);
            return;
        }
        i.rm = -1;
        if (rm == 4) {
            int sib = fetch();
            int base = sib & 7;
            int idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
            i.index = idx == 4 ? -1 : idx;
            i.scale = sib >> 6;
            if (base == 5 && mod == 0) {
                i.base = -1;
                i.disp = fetchImm(4);
            } else {
                i.base = base | ((rex & 1) << 3);
            }
        } else if (rm == 5 && mod == 0) {
            ripRel = codeSize == 8; // disp32 alone outside 64-bit mode
            i.disp = fetchImm(4);
        } else {
            i.base = rm | ((rex & 1) << 3);
        }
        if (mod == 1) {
            i.disp += fetchImm(1);
        } else if (mod == 2) {
            i.disp += fetchImm(4);
        }
    }

    int modrmReg() {
        return (modrm >> 3) & 7;
    }

    void requireMemory(Insn i) {
        if (i.rm >= 0) {
            throw ud();
        }
    }

    void lockable() {
        lockable = true;
    }

    public Insn decode(long addr) {
        start = addr;
        pc = addr;
        rex = 0;
        p66 = p67 = lock = lockable = ripRel = false;
        repPrefix = 0;
        sregOverride = -1;
        Insn i = new Insn();
        i.rip = addr;
        int b;
        prefixes:
        for (;;) {
            b = fetch();
            switch (b) {
                case 0x66 -> p66 = true;
                case 0x67 -> p67 = true;
                case 0xf0 -> lock = true;
                case 0xf2, 0xf3 -> repPrefix = b;
                case 0x2e, 0x36, 0x3e, 0x26 -> sregOverride = (b >> 3) & 3; // ignored in 64-bit mode
                case 0x64 -> {
                    i.seg = 1;
                    sregOverride = Segments.FS;
                }
                case 0x65 -> {
                    i.seg = 2;
                    sregOverride = Segments.GS;
                }
                default -> {
                    if ((b & 0xf0) == 0x40 && codeSize == 8) {
                        rex = b;
                        continue;
                    }
                    break prefixes;
                }
            }
            rex = 0; // a REX prefix counts only directly before the opcode
        }
        i.addr32 = p67;
        int osz = (rex & 8) != 0 ? 8 : p66 ? 2 : 4;
        addr16 = false;
        if (codeSize != 8) {
            osz = (codeSize == 2) != p66 ? 2 : 4;
            addr16 = (codeSize == 2) != p67;
            i.addr16 = addr16;
            i.addr32 = !addr16;
        }
        i.size = osz;
        if (b == 0x0f) {
            decode0F(i, fetch(), osz);
        } else {
            decode1(i, b, osz);
        }
        i.next = pc;
        i.len = (int) (pc - start);
        if (ripRel) {
            i.disp += pc;
            i.ripRel = true;
        }
        if (lock && !(lockable && i.rm < 0)) {
            throw ud();
        }
        if (lock || (i.op == Op.XCHG && i.rm < 0)) { // XCHG with memory is locked without the prefix
            i.lockedOp = i.op;
            i.op = Op.LOCKED;
        }
        return i;
    }

    private void decode1(Insn i, int b, int osz) {
        if (codeSize != 8 && LegacyDecoder.decode1(this, i, b, osz)) {
            return;
        }
        if (b < 0x40) {
            int kind = b & 7;
            if (kind >= 6) {
                throw ud();
            }
            i.sub = b >> 3;
            switch (kind) {
                case 0, 1 -> {
                    i.op = Op.ALU_RM_R;
                    byteOrFull(i, kind == 0, osz);
                    if (i.sub != 7) {
                        lockable();
                    }
                }
                case 2, 3 -> {
                    i.op = Op.ALU_R_RM;
                    byteOrFull(i, kind == 2, osz);
                }
                default -> {
                    i.op = Op.ALU_RM_I;
                    i.size = kind == 4 ? 1 : osz;
                    i.rm = 0;
                    i.imm = fetchImmZ(i.size);
                }
            }
            return;
        }
        if (system && SystemDecoder.decode1(this, i, b, osz)) {
            return;
        }
        switch (b) {
            case 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57 -> {
                i.op = Op.PUSH_RM;
                i.rm = (b & 7) | ((rex & 1) << 3);
                i.size = p66 ? 2 : 8;
            }
            case 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f -> {
                i.op = Op.POP_RM;
                i.rm = (b & 7) | ((rex & 1) << 3);
                i.size = p66 ? 2 : 8;
            }
            case 0x63 -> {
                modrm(i);
                if (osz == 8) {
                    i.op = Op.MOVSX;
                    i.size2 = 4;
                } else {
                    i.op = Op.MOV_R_RM;
                }
            }
            case 0x68 -> {
                i.op = Op.PUSH_I;
                i.size = p66 ? 2 : 8;
                i.imm = fetchImmZ(i.size);
            }
            case 0x6a -> {
                i.op = Op.PUSH_I;
                i.size = p66 ? 2 : 8;
                i.imm = fetchImm(1);
            }
            case 0x69, 0x6b -> {
                i.op = Op.IMUL3;
                modrm(i);
                i.imm = b == 0x69 ? fetchImmZ(osz) : fetchImm(1);
            }
            case 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e,
                 0x7f -> {
                i.op = Op.JCC;
                i.sub = b & 15;
                i.imm = fetchImm(1) + pc;
            }
            case 0x80, 0x81, 0x83 -> {
                i.op = Op.ALU_RM_I;
                i.size = b == 0x80 ? 1 : osz;
                modrm(i);
                i.sub = modrmReg();
                if (b == 0x80) {
                    i.rm = b8(i.rm);
                }
                i.imm = b == 0x81 ? fetchImmZ(osz) : fetchImm(1);
                if (i.sub != 7) {
                    lockable();
                }
            }
            case 0x84, 0x85 -> {
                i.op = Op.TEST_RM_R;
                byteOrFull(i, b == 0x84, osz);
            }
            case 0x86, 0x87 -> {
                i.op = Op.XCHG;
                byteOrFull(i, b == 0x86, osz);
                lockable();
            }
            case 0x88, 0x89 -> {
                i.op = Op.MOV_RM_R;
                byteOrFull(i, b == 0x88, osz);
            }
            case 0x8a, 0x8b -> {
                i.op = Op.MOV_R_RM;
                byteOrFull(i, b == 0x8a, osz);
            }
            case 0x8d -> {
                i.op = Op.LEA;
                modrm(i);
                requireMemory(i);
                if (i.seg != 0) {
                    i.seg = 0; // LEA computes the offset only; segment bases do not apply
                }
            }
            case 0x8f -> {
                modrm(i);
                if (modrmReg() != 0) {
                    throw ud();
                }
                i.op = Op.POP_RM;
                i.size = p66 ? 2 : 8;
            }
            case 0x90 -> {
                if ((rex & 1) != 0) {
                    i.op = Op.XCHG;
                    i.reg = 0;
                    i.rm = 8;
                } else {
                    i.op = repPrefix == 0xf3 ? Op.PAUSE : Op.NOP;
                }
            }
            case 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97 -> {
                i.op = Op.XCHG;
                i.reg = 0;
                i.rm = (b & 7) | ((rex & 1) << 3);
            }
            case 0x98 -> i.op = Op.CONV_A;
            case 0x99 -> i.op = Op.CONV_D;
            case 0x9b -> i.op = Op.NOP; // FWAIT: no unmasked x87 exceptions are ever pending
            case 0x9c -> {
                i.op = Op.PUSHF;
                i.size = p66 ? 2 : 8;
            }
            case 0x9d -> {
                i.op = Op.POPF;
                i.size = p66 ? 2 : 8;
            }
            case 0x9e -> i.op = Op.SAHF;
            case 0x9f -> i.op = Op.LAHF;
            case 0xa0, 0xa1, 0xa2, 0xa3 -> {
                i.op = b < 0xa2 ? Op.MOV_R_RM : Op.MOV_RM_R;
                i.size = (b & 1) == 0 ? 1 : osz;
                i.reg = 0;
                i.rm = -1;
                i.disp = p67 ? fetchImm(4) & 0xffffffffL : fetchImm(8);
            }
            case 0xa4, 0xa5 -> string(i, Op.MOVS, b, osz);
            case 0xa6, 0xa7 -> string(i, Op.CMPS, b, osz);
            case 0xaa, 0xab -> string(i, Op.STOS, b, osz);
            case 0xac, 0xad -> string(i, Op.LODS, b, osz);
            case 0xae, 0xaf -> string(i, Op.SCAS, b, osz);
            case 0xa8, 0xa9 -> {
                i.op = Op.TEST_RM_I;
                i.size = b == 0xa8 ? 1 : osz;
                i.rm = 0;
                i.imm = fetchImmZ(i.size);
            }
            case 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7 -> {
                i.op = Op.MOV_RM_I;
                i.size = 1;
                i.rm = b8((b & 7) | ((rex & 1) << 3));
                i.imm = fetchImm(1);
            }
            case 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf -> {
                i.op = Op.MOV_RM_I;
                i.rm = (b & 7) | ((rex & 1) << 3);
                i.imm = fetchImm(osz);
            }
            case 0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3 -> {
                boolean byteOp = (b & 1) == 0;
                i.size = byteOp ? 1 : osz;
                modrm(i);
                if (byteOp) {
                    i.rm = b8(i.rm);
                }
                i.sub = modrmReg();
                if (b >= 0xd2) {
                    i.op = Op.SHIFT_CL;
                } else {
                    i.op = Op.SHIFT;
                    i.imm = b <= 0xc1 ? fetchImm(1) & 0xff : 1;
                }
            }
            case 0xc2 -> {
                i.op = Op.RET;
                i.imm = fetchImm(2) & 0xffff;
            }
            case 0xc3 -> i.op = Op.RET;
            case 0xc6, 0xc7 -> {
                i.size = b == 0xc6 ? 1 : osz;
                modrm(i);
                if (modrmReg() != 0) {
                    throw ud();
                }
                if (b == 0xc6) {
                    i.rm = b8(i.rm);
                }
                i.op = Op.MOV_RM_I;
                i.imm = fetchImmZ(i.size);
            }
            case 0xc8 -> {
                i.op = Op.ENTER;
                i.size = p66 ? 2 : 8;
                i.imm = fetchImm(2) & 0xffff;
                i.imm2 = fetchImm(1) & 0xff;
            }
            case 0xc9 -> {
                i.op = Op.LEAVE;
                i.size = p66 ? 2 : 8;
            }
            case 0xcc -> i.op = Op.INT3;
            case 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf -> X87Decoder.decode(this, i, b);
            case 0xe0, 0xe1, 0xe2 -> {
                i.op = Op.LOOP;
                i.sub = b - 0xe0; // 0 LOOPNE, 1 LOOPE, 2 LOOP
                i.imm = fetchImm(1) + pc;
            }
            case 0xe3 -> {
                i.op = Op.JRCXZ;
                i.imm = fetchImm(1) + pc;
            }
            case 0xe8, 0xe9 -> {
                i.op = b == 0xe8 ? Op.CALL : Op.JMP;
                i.imm = fetchImm(4) + pc;
                i.size = 8;
            }
            case 0xeb -> {
                i.op = Op.JMP;
                i.imm = fetchImm(1) + pc;
            }
            case 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6d, 0x6e, 0x6f, 0xfa, 0xfb ->
                    throw GuestFault.gp("privileged I/O or interrupt-flag instruction in user mode at rip 0x"
                            + Long.toHexString(start));
            case 0xf4 -> i.op = Op.HLT;
            case 0xf5 -> flagOp(i, 0);
            case 0xf8 -> flagOp(i, 1);
            case 0xf9 -> flagOp(i, 2);
            case 0xfc -> flagOp(i, 3);
            case 0xfd -> flagOp(i, 4);
            case 0xf6, 0xf7 -> group3(i, b == 0xf6, osz);
            case 0xfe -> {
                i.size = 1;
                modrm(i);
                i.rm = b8(i.rm);
                int r = modrmReg();
                if (r > 1) {
                    throw ud();
                }
                i.op = r == 0 ? Op.INC : Op.DEC;
                lockable();
            }
            case 0xff -> group5(i, osz);
            default -> throw ud();
        }
        if ((i.op == Op.JCC || i.op == Op.JMP || i.op == Op.CALL) && p66) {
            throw ud(); // 16-bit near branches: AMD and Intel disagree, so refuse rather than guess
        }
    }

    private void flagOp(Insn i, int which) {
        i.op = Op.FLAGOP;
        i.sub = which;
    }

    private void string(Insn i, int op, int b, int osz) {
        i.op = op;
        i.size = (b & 1) == 0 ? 1 : osz;
        i.rep = repPrefix == 0xf3 ? 3 : repPrefix == 0xf2 ? 2 : 0;
    }

    /** ModRM with reg and r/m of the same size; byte forms apply the AH..BH rule to both. */
    void byteOrFull(Insn i, boolean byteOp, int osz) {
        i.size = byteOp ? 1 : osz;
        modrm(i);
        if (byteOp) {
            i.reg = b8(i.reg);
            if (i.rm >= 0) {
                i.rm = b8(i.rm);
            }
        }
    }

    private void group3(Insn i, boolean byteOp, int osz) {
        i.size = byteOp ? 1 : osz;
        modrm(i);
        if (byteOp) {
            i.rm = b8(i.rm);
        }
        switch (modrmReg()) {
            case 0, 1 -> {
                i.op = Op.TEST_RM_I;
                i.imm = fetchImmZ(i.size);
            }
            case 2 -> {
                i.op = Op.NOT;
                lockable();
            }
            case 3 -> {
                i.op = Op.NEG;
                lockable();
            }
            case 4 -> i.op = Op.MUL;
            case 5 -> i.op = Op.IMUL1;
            case 6 -> i.op = Op.DIV;
            default -> i.op = Op.IDIV;
        }
    }

    private void group5(Insn i, int osz) {
        modrm(i);
        switch (modrmReg()) {
            case 0 -> {
                i.op = Op.INC;
                lockable();
            }
            case 1 -> {
                i.op = Op.DEC;
                lockable();
            }
            case 2, 4 -> {
                if (p66) {
                    throw ud();
                }
                i.op = modrmReg() == 2 ? Op.CALL_RM : Op.JMP_RM;
                i.size = 8;
            }
            case 6 -> {
                i.op = Op.PUSH_RM;
                i.size = p66 ? 2 : 8;
            }
            case 3, 5 -> {
                if (!system) {
                    throw ud();
                }
                LegacyDecoder.farIndirect(this, i, modrmReg(), osz);
            }
            default -> throw ud();
        }
    }

    private void decode0F(Insn i, int b, int osz) {
        if (codeSize != 8 && LegacyDecoder.decode0F(this, i, b, osz)) {
            return;
        }
        if (system && SystemDecoder.decode0F(this, i, b, osz)) {
            return;
        }
        switch (b) {
            case 0x05 -> i.op = Op.SYSCALL;
            case 0x0d, 0x18 -> { // PREFETCH hints
                modrm(i);
                requireMemory(i);
                i.op = Op.NOP;
            }
            case 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f -> { // reserved-NOP space: NOP Ev, ENDBR64, ...
                modrm(i);
                i.op = Op.NOP;
            }
            case 0x31 -> i.op = Op.RDTSC;
            case 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e,
                 0x4f -> {
                i.op = Op.CMOV;
                i.sub = b & 15;
                modrm(i);
            }
            case 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e,
                 0x8f -> {
                if (p66) {
                    throw ud();
                }
                i.op = Op.JCC;
                i.sub = b & 15;
                i.imm = fetchImm(4) + pc;
            }
            case 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e,
                 0x9f -> {
                i.op = Op.SETCC;
                i.sub = b & 15;
                i.size = 1;
                modrm(i);
                i.rm = i.rm >= 0 ? b8(i.rm) : -1;
            }
            case 0xa2 -> i.op = Op.CPUID;
            case 0xa3, 0xab, 0xb3, 0xbb -> {
                i.op = Op.BT_R;
                i.sub = (b >> 3) & 3; // 0 BT, 1 BTS, 2 BTR, 3 BTC
                modrm(i);
                if (i.sub != 0) {
                    lockable();
                }
            }
            case 0xba -> {
                modrm(i);
                int r = modrmReg();
                if (r < 4) {
                    throw ud();
                }
                i.op = Op.BT_I;
                i.sub = r - 4;
                i.imm = fetchImm(1) & 0xff;
                if (i.sub != 0) {
                    lockable();
                }
            }
            case 0xa4, 0xac -> {
                i.op = b == 0xa4 ? Op.SHLD : Op.SHRD;
                modrm(i);
                i.imm = fetchImm(1) & 0xff;
            }
            case 0xa5, 0xad -> {
                i.op = b == 0xa5 ? Op.SHLD_CL : Op.SHRD_CL;
                modrm(i);
            }
            case 0xaf -> {
                i.op = Op.IMUL2;
                modrm(i);
            }
            case 0xb0, 0xb1 -> {
                i.op = Op.CMPXCHG;
                byteOrFull(i, b == 0xb0, osz);
                lockable();
            }
            case 0xb6, 0xb7, 0xbe, 0xbf -> {
                i.op = b < 0xb8 ? Op.MOVZX : Op.MOVSX;
                i.size2 = (b & 1) == 0 ? 1 : 2;
                modrm(i);
                if (i.size2 == 1 && i.rm >= 0) {
                    i.rm = b8(i.rm);
                }
            }
            case 0xb8 -> {
                if (repPrefix != 0xf3 || !cpuid.has1Ecx(CpuidModel.ECX1_POPCNT)) {
                    throw ud();
                }
                i.op = Op.POPCNT;
                modrm(i);
            }
            case 0xbc, 0xbd -> {
                modrm(i);
                if (repPrefix == 0xf3) {
                    i.op = b == 0xbc ? Op.TZCNT : Op.LZCNT;
                } else {
                    i.op = b == 0xbc ? Op.BSF : Op.BSR;
                }
            }
            case 0xc0, 0xc1 -> {
                i.op = Op.XADD;
                byteOrFull(i, b == 0xc0, osz);
                lockable();
            }
            case 0xc3 -> {
                if (osz == 2) {
                    throw ud();
                }
                i.op = Op.MOV_RM_R; // MOVNTI: a store with a non-temporal hint
                modrm(i);
                requireMemory(i);
            }
            case 0xc7 -> {
                modrm(i);
                if ((modrmReg() == 6 || modrmReg() == 7) && i.rm >= 0) { // RDRAND, RDSEED (F3 with /7 is RDPID: not here)
                    boolean seed = modrmReg() == 7;
                    if (repPrefix != 0 || !(seed ? cpuid.has7Ebx(CpuidModel.EBX7_RDSEED) : cpuid.has1Ecx(CpuidModel.ECX1_RDRAND))) {
                        throw ud();
                    }
                    i.op = Op.RDRAND;
                    i.sub = seed ? 1 : 0;
                    return;
                }
                if (modrmReg() != 1) {
                    throw ud();
                }
                requireMemory(i);
                if ((rex & 8) != 0) {
                    if (!cpuid.has1Ecx(CpuidModel.ECX1_CX16)) {
                        throw ud();
                    }
                    i.op = Op.CMPXCHG16B;
                } else {
                    i.op = Op.CMPXCHG8B;
                }
                lockable();
            }
            case 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf -> {
                i.op = Op.BSWAP;
                i.rm = (b & 7) | ((rex & 1) << 3);
            }
            default -> SseDecoder.decode(this, i, b, osz);
        }
    }
}
