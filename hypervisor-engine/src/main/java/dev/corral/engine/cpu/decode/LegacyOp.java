package dev.corral.engine.cpu.decode;

/**
 * Sub-operation numbers of {@link Op#LEGACY} ({@link Insn#sub}), the instructions whose meaning differs in real,
 * protected and compatibility mode: {@link LegacyDecoder} emits them, the interpreter's legacy ops switch on them.
 */
public final class LegacyOp {
    private LegacyOp() {
    }

    public static final int PUSH_RM = 1, PUSH_I = 2, POP_RM = 3, PUSH_SREG = 4, POP_SREG = 5, PUSHA = 6, POPA = 7, PUSHF = 8,
            POPF = 9, JMP = 10, JCC = 11, LOOP = 12, JCXZ = 13, CALL = 14, CALL_RM = 15, JMP_RM = 16, RET = 17, ENTER = 18,
            LEAVE = 19, LEA = 20, MOV_SREG = 21, LOAD_FAR = 22, DAA = 23, DAS = 24, AAA = 25, AAS = 26, AAM = 27, AAD = 28,
            ARPL = 29, XLAT = 30, INT = 31, INTO = 32, IRET = 33, RETF = 34, JMP_FAR = 35, CALL_FAR = 36, JMP_FAR_M = 37,
            CALL_FAR_M = 38, STRING = 39, LGDT = 40, LIDT = 41, SGDT = 42, SIDT = 43, MOV_TO_CR = 44, MOV_FROM_CR = 45,
            MOV_TO_DR = 46, MOV_FROM_DR = 47, LLDT = 48, LTR = 49, INVLPG = 50;
}
