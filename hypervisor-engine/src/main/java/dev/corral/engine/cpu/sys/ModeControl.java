package dev.corral.engine.cpu.sys;

import static dev.corral.engine.cpu.state.CpuState.CR0_PE;
import static dev.corral.engine.cpu.state.CpuState.CR0_PG;
import static dev.corral.engine.cpu.state.CpuState.CR4_PAE;
import static dev.corral.engine.cpu.state.CpuState.EFER_LMA;
import static dev.corral.engine.cpu.state.CpuState.EFER_LME;

import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.GuestFault;

/**
 * The mode transitions that writes to CR0 and EFER make, with the manual's #GP(0) cases (SystemOps checks the
 * reserved bits first):
 * <ul>
 *   <li>CR0.PE on or off switches between real and protected mode; the code segment's cache stays as it was until
 *       a far branch loads CS, as on the hardware.</li>
 *   <li>CR0.PG on with EFER.LME set activates long mode (EFER.LMA), in compatibility mode until a far branch to a
 *       64-bit code segment; it needs CR4.PAE. PG off leaves long mode, which only compatibility-mode code may do
 *       (#GP in 64-bit mode). PG without PE is #GP.</li>
 *   <li>EFER.LME cannot change while paging is on; LMA is read-only.</li>
 * </ul>
 */
public final class ModeControl {
    private ModeControl() {
    }

    /** Sets CR0 to {@code v} (reserved bits already refused) and follows it with EFER.LMA and the code size. */
    public static void writeCr0(CpuState s, Segments seg, long v) {
        if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) {
            throw GuestFault.gp("CR0 value 0x" + Long.toHexString(v) + " sets PG without PE");
        }
        boolean pagingOn = (s.cr0 & CR0_PG) == 0 && (v & CR0_PG) != 0;
        boolean pagingOff = (s.cr0 & CR0_PG) != 0 && (v & CR0_PG) == 0;
        if (pagingOff && s.codeSize == 8) {
            throw GuestFault.gp("CR0 value 0x" + Long.toHexString(v) + " clears PG in 64-bit mode");
        }
        if (pagingOn && (s.efer & EFER_LME) != 0) {
            if ((s.cr4 & CR4_PAE) == 0) {
                throw GuestFault.gp("CR0 value 0x" + Long.toHexString(v) + " enables long mode paging without CR4.PAE");
            }
            s.efer |= EFER_LMA;
        } else if (pagingOff) {
            s.efer &= ~EFER_LMA;
        }
        s.cr0 = v;
        seg.updateCodeSize();
    }

    /** Sets EFER from a WRMSR of {@code v}; {@code writable} is the set of bits a guest may set. */
    public static void writeEfer(CpuState s, long v, long writable) {
        if ((v & ~(writable | EFER_LMA)) != 0) {
            throw GuestFault.gp("EFER value 0x" + Long.toHexString(v) + " sets reserved bits");
        }
        if ((s.cr0 & CR0_PG) != 0 && ((v ^ s.efer) & EFER_LME) != 0) {
            throw GuestFault.gp("EFER value 0x" + Long.toHexString(v) + " changes LME while paging is on");
        }
        s.efer = (v & writable) | (s.efer & EFER_LMA);
    }
}
