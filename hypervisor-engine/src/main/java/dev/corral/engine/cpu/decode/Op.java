package dev.corral.engine.cpu.decode;

/** Handler numbers of decoded instructions: small ints so that execution is one dense switch. */
public final class Op {
    private Op() {
    }

    public static final int NOP = 0;
    // integer data movement
    public static final int MOV_RM_R = 1, MOV_R_RM = 2, MOV_RM_I = 3, MOVZX = 4, MOVSX = 5, LEA = 6, XCHG = 7,
            BSWAP = 8, CONV_A = 9, CONV_D = 10;
    // arithmetic and logic
    public static final int ALU_RM_R = 11, ALU_R_RM = 12, ALU_RM_I = 13, TEST_RM_R = 14, TEST_RM_I = 15, INC = 16,
            DEC = 17, NEG = 18, NOT = 19, SHIFT = 20, SHIFT_CL = 21, SHLD = 22, SHRD = 23, SHLD_CL = 24,
            SHRD_CL = 25, BT_R = 26, BT_I = 27, BSF = 28, BSR = 29, TZCNT = 30, LZCNT = 31, POPCNT = 32,
            MUL = 33, IMUL1 = 34, DIV = 35, IDIV = 36, IMUL2 = 37, IMUL3 = 38, CMPXCHG = 39, CMPXCHG8B = 40,
            CMPXCHG16B = 41, XADD = 42;
    // control flow
    public static final int JCC = 43, JMP = 44, JMP_RM = 45, CALL = 46, CALL_RM = 47, RET = 48, CMOV = 49, SETCC = 50;
    // stack and flags
    public static final int PUSH_RM = 51, PUSH_I = 52, POP_RM = 53, ENTER = 54, LEAVE = 55, PUSHF = 56, POPF = 57,
            LAHF = 58, SAHF = 59, FLAGOP = 60;
    // strings
    public static final int MOVS = 61, STOS = 62, LODS = 63, SCAS = 64, CMPS = 65;
    // system
    public static final int CPUID = 66, RDTSC = 67, SYSCALL = 68, INT3 = 69, HLT = 70, JRCXZ = 71, LOOP = 72;
    /** RDRAND (sub 0) and RDSEED (sub 1) into register {@code rm}. */
    public static final int RDRAND = 73;
    /** PAUSE (F3 90): a NOP that tells the CPU a spin-wait loop runs ({@code Interp.pause}). */
    public static final int PAUSE = 74;
    /** SSE and x87 handlers are numbered from here; their classes own the sub-numbering. */
    public static final int SSE = 100, X87 = 101, MMX = 102;
    /** Privileged and system instructions of a system CPU; {@link SystemOps} owns the sub-numbering. */
    public static final int SYS = 103;
    /** Instructions whose semantics differ in real, protected and compatibility mode; {@link LegacyOps} numbers them. */
    public static final int LEGACY = 104;
    /** A locked read-modify-write ({@link LockedOps}); the operation is in {@link Insn#lockedOp}. */
    public static final int LOCKED = 105;
}
