package dev.corral.engine.usermode;

import dev.corral.engine.cpu.state.CpuExit;

/** Linux signal numbers, default actions, and the signal a CPU exception raises. */
final class Signals {
    static final int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
            SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
            SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22,
            SIGURG = 23, SIGWINCH = 28;
    static final int NSIG = 64;
    static final long SIG_DFL = 0, SIG_IGN = 1;
    static final long SA_RESTORER = 0x04000000L, SA_NODEFER = 0x40000000L, SA_RESETHAND = 0x80000000L;

    private Signals() {}

    static long bit(int sig) {
        return 1L << (sig - 1);
    }

    /**
     * True if the default action ends the process. Stop signals are ignored: there is no job control
     * (no terminal) in this shim.
     */
    static boolean terminatesByDefault(int sig) {
        return switch (sig) {
            case SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU -> false;
            default -> true;
        };
    }

    /** The signal Linux sends for a CPU exception in user mode. */
    static int forFault(CpuExit.Fault f) {
        return switch (f.vector()) {
            case CpuExit.Fault.DE, CpuExit.Fault.MF, CpuExit.Fault.XM -> SIGFPE;
            case CpuExit.Fault.BP -> SIGTRAP;
            case CpuExit.Fault.UD, CpuExit.Fault.NM -> SIGILL;
            case CpuExit.Fault.AC, CpuExit.Fault.SS -> SIGBUS; // Linux sends SIGBUS for #SS too
            default -> SIGSEGV;
        };
    }

    static String name(int sig) {
        return switch (sig) {
            case SIGHUP -> "SIGHUP"; case SIGINT -> "SIGINT"; case SIGQUIT -> "SIGQUIT"; case SIGILL -> "SIGILL";
            case SIGTRAP -> "SIGTRAP"; case SIGABRT -> "SIGABRT"; case SIGBUS -> "SIGBUS"; case SIGFPE -> "SIGFPE";
            case SIGKILL -> "SIGKILL"; case SIGSEGV -> "SIGSEGV"; case SIGPIPE -> "SIGPIPE"; case SIGTERM -> "SIGTERM";
            case SIGCHLD -> "SIGCHLD";
            default -> "signal " + sig;
        };
    }
}
