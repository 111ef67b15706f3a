package dev.corral.engine.cpu.sys;

import dev.corral.engine.cpu.state.CpuState;

/**
 * The register state INIT leaves (Intel SDM vol. 3, "Processor State Following Power-up, Reset, or INIT"): what an
 * application processor holds while it waits for a STARTUP IPI. x87, SSE and MXCSR, the TSC and the MSRs other
 * than EFER are not touched, as INIT does not touch them.
 */
public final class ResetState {
    private ResetState() {
    }

    public static void init(CpuState s, Segments seg, long signature) {
        java.util.Arrays.fill(s.gpr, 0);
        s.gpr[CpuState.RDX] = signature;
        s.rip = 0xfff0;
        s.rflags = 2;
        s.cr0 = (s.cr0 & (CpuState.CR0_CD | CpuState.CR0_NW)) | CpuState.CR0_ET; // INIT keeps CD and NW
        s.cr2 = 0;
        s.cr3 = 0;
        s.cr4 = 0;
        // CR8 is the local APIC's TPR (LocalApicPort): the APIC's own INIT clears it.
        s.efer = 0;
        s.cpl = 0;
        s.interruptShadow = false;
        s.gdtBase = 0;
        s.gdtLimit = 0xffff;
        s.idtBase = 0;
        s.idtLimit = 0xffff;
        s.ldtr = 0;
        s.ldtBase = 0;
        s.ldtLimit = 0xffff;
        s.tr = 0;
        s.trBase = 0;
        s.trLimit = 0xffff;
        s.trAttr = 0x8b;
        for (int k = 0; k < 4; k++) {
            s.dr[k] = 0;
        }
        s.dr[6] = 0xffff0ff0L;
        s.dr[7] = 0x400;
        seg.set(Segments.CS, 0xf000, 0xffff0000L, 0xffff, Segments.REAL_CODE);
        for (int sreg : new int[] {Segments.ES, Segments.SS, Segments.DS, Segments.FS, Segments.GS}) {
            seg.set(sreg, 0, 0, 0xffff, Segments.REAL_DATA);
        }
    }
}
