package dev.corral.engine.cpu.sys;

import dev.corral.engine.cpu.state.GuestFault;

/**
 * The model-specific registers of the {@link CpuidModel} that {@link SystemOps} does not keep itself, and the ones
 * the local APIC owns ({@link LocalApicPort}), with MOV CR8. Unknown MSRs are #GP(0), as on the hardware; every MSR
 * Linux 6.1 reads without an exception fixup on this model is here, so its boot logs no "unchecked MSR access".
 */
public final class ModelMsrs {

    static final int IA32_PLATFORM_ID = 0x17, IA32_FEATURE_CONTROL = 0x3a, IA32_TSC_ADJUST = 0x3b,
            IA32_BIOS_SIGN_ID = 0x8b, IA32_ARCH_CAPABILITIES = 0x10a;

    /**
     * IA32_ARCH_CAPABILITIES: this CPU has no speculation, no fill, store or load-port buffers, no TSX and no branch
     * predictor, so it is not affected by anything these bits name: RDCL_NO (Meltdown, L1TF), SSB_NO, MDS_NO,
     * PSCHANGE_MC_NO (iTLB multihit), TAA_NO, SBDR_SSDP_NO, FBSDP_NO and PSDP_NO (MMIO stale data), BHI_NO,
     * PBRSB_NO, GDS_NO, RFDS_NO, ITS_NO. Nothing it enumerates as present (no IBRS, TSX_CTRL, FB_CLEAR, GDS_CTRL).
     */
    static final long ARCH_CAPABILITIES = 1L | 1L << 4 | 1L << 5 | 1L << 6 | 1L << 8 | 1L << 13 | 1L << 14
            | 1L << 15 | 1L << 20 | 1L << 24 | 1L << 26 | 1L << 27 | 1L << 62;
    /** IA32_FEATURE_CONTROL as firmware leaves it on a part without VMX or SGX: locked, nothing enabled. */
    static final long FEATURE_CONTROL_LOCKED = 1;

    private final TimeStampCounter tsc;
    private final LocalApicPort apic;

    public ModelMsrs(TimeStampCounter tsc, LocalApicPort apic) {
        this.tsc = tsc;
        this.apic = apic;
    }

    public long read(int msr) {
        if (LocalApicPort.owns(msr)) {
            try {
                long v = apic.readMsr(msr);
                return msr == LocalApicPort.MSR_TSC_DEADLINE && v != 0 ? tsc.fromClock(v) : v;
            } catch (LocalApicPort.Refused r) {
                throw GuestFault.gp("local APIC refused " + r.getMessage());
            }
        }
        return switch (msr) {
            case IA32_PLATFORM_ID -> 0;
            case IA32_FEATURE_CONTROL -> FEATURE_CONTROL_LOCKED;
            case IA32_TSC_ADJUST -> tsc.adjust();
            case IA32_BIOS_SIGN_ID -> 0; // no microcode: revision 0 in bits 63:32
            case IA32_ARCH_CAPABILITIES -> ARCH_CAPABILITIES;
            default -> throw GuestFault.gp("RDMSR of unknown MSR 0x" + Integer.toHexString(msr));
        };
    }

    public void write(int msr, long v) {
        if (LocalApicPort.owns(msr)) {
            try {
                apic.writeMsr(msr, msr == LocalApicPort.MSR_TSC_DEADLINE && v != 0 ? tsc.toClock(v) : v);
            } catch (LocalApicPort.Refused r) {
                throw GuestFault.gp("local APIC refused " + r.getMessage());
            }
            return;
        }
        switch (msr) {
            case IA32_TSC_ADJUST -> tsc.writeAdjust(v);
            case IA32_BIOS_SIGN_ID -> { } // software writes 0 before CPUID to read the revision
            default -> throw GuestFault.gp("WRMSR of " + (msr == IA32_FEATURE_CONTROL || msr == IA32_ARCH_CAPABILITIES
                    || msr == IA32_PLATFORM_ID ? "read-only" : "unknown") + " MSR 0x" + Integer.toHexString(msr));
        }
    }

    /** MOV from CR8. */
    public long cr8() {
        return apic.taskPriorityClass() & 0xf;
    }

    /** MOV to CR8: bits 63:4 are reserved (#GP). */
    public void setCr8(long v) {
        if ((v & ~0xfL) != 0) {
            throw GuestFault.gp("CR8 value 0x" + Long.toHexString(v) + " sets reserved bits");
        }
        apic.setTaskPriorityClass((int) v);
    }
}
