package dev.corral.engine.cpu.decode;

/**
 * Sub-operation numbers of {@link Op#SYS} ({@link Insn#sub}), the privileged and system instructions of a system
 * CPU: {@link SystemDecoder} emits them, the interpreter's system ops switch on them.
 */
public final class SysOp {
    private SysOp() {
    }

    public static final int IN = 1, OUT = 2, CLI = 3, STI = 4, HLT = 5, INT = 6, INT1 = 7, IRET = 8, RETF = 9,
            MOV_FROM_SREG = 10, MOV_TO_SREG = 11, PUSH_SREG = 12, POP_SREG = 13, SLDT = 14, STR = 15, LLDT = 16,
            LTR = 17, SGDT = 18, SIDT = 19, LGDT = 20, LIDT = 21, SMSW = 22, LMSW = 23, INVLPG = 24, SWAPGS = 25,
            SYSCALL = 26, SYSRET = 27, CLTS = 28, WBINVD = 29, MOV_FROM_CR = 30, MOV_TO_CR = 31, MOV_FROM_DR = 32,
            MOV_TO_DR = 33, RDMSR = 34, WRMSR = 35, VERR = 36, VERW = 37;
}
