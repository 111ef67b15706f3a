package dev.corral.engine.cpu.state;

/**
 * An exception the guest raised inside an instruction (#DE, #UD, #GP, ...). Internal: {@link Cpu#run}
 * turns it into a {@link CpuExit.Fault} at the faulting instruction. Stackless, since guests may raise
 * them often (a #UD probe loop) and the stack says nothing about the guest.
 */
public final class GuestFault extends RuntimeException {

    public final int vector;
    public final long errorCode;

    public GuestFault(int vector, String detail) {
        this(vector, 0, detail);
    }

    public GuestFault(int vector, long errorCode, String detail) {
        super(detail, null, false, false);
        this.vector = vector;
        this.errorCode = errorCode;
    }

    public static GuestFault ud(String detail) {
        return new GuestFault(CpuExit.Fault.UD, detail);
    }

    public static GuestFault gp(String detail) {
        return new GuestFault(CpuExit.Fault.GP, detail);
    }

    public static GuestFault de(String detail) {
        return new GuestFault(CpuExit.Fault.DE, detail);
    }
}
