package dev.corral.engine.cpu.interp;

import static dev.corral.engine.cpu.state.CpuExit.Fault.GP;

import dev.corral.engine.cpu.decode.Insn;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;
import dev.corral.engine.cpu.sys.Delivery;

/**
 * VERR and VERW (0F 00 /4 and /5): whether the segment a selector names could be read, or written, at the current
 * privilege level. They set ZF and change nothing else, and raise no fault for any selector (only reading a memory
 * operand or the descriptor table can fault). Linux runs VERW with its kernel data selector on every return to user
 * space on CPUs that need it to clear their buffers (MDS); here it is only the check.
 *
 * <p>As the SDM specifies: ZF = 0 for a null selector, one beyond the descriptor table's limit, or a system
 * descriptor; for VERR ZF = 1 for a readable segment (any data segment, or code with R set) whose DPL is at least
 * both the CPL and the selector's RPL, where a conforming readable code segment needs no privilege check; for VERW
 * ZF = 1 for a writable data segment with that privilege. Selectors in the LDT give ZF = 0, since this CPU keeps no
 * LDT ({@link Delivery#descriptor} refuses them).
 */
final class SegmentChecks {
    private SegmentChecks() {
    }

    static void verify(Operands x, Delivery delivery, Insn i, boolean write) {
        CpuState s = x.s;
        int sel = (int) x.readRm(i, 2);
        boolean ok = false;
        if ((sel & ~3) != 0) {
            long d;
            try {
                d = delivery.descriptor(sel, 0);
            } catch (GuestFault f) {
                if (f.vector != GP) {
                    throw f;
                }
                d = 0; // beyond the limit or in the LDT: not accessible, and no fault
            }
            boolean codeOrData = (d & (1L << 44)) != 0;
            boolean code = (d & (1L << 43)) != 0;
            boolean conforming = code && (d & (1L << 42)) != 0;
            boolean rw = (d & (1L << 41)) != 0; // readable code, or writable data
            int dpl = (int) (d >>> 45) & 3;
            boolean privileged = dpl >= s.cpl && dpl >= (sel & 3);
            if (codeOrData) {
                ok = write ? !code && rw && privileged : (!code || rw) && (conforming || privileged);
            }
        }
        s.rflags = ok ? s.rflags | CpuState.ZF : s.rflags & ~CpuState.ZF;
    }
}
