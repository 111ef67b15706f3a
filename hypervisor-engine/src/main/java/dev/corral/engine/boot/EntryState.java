package dev.corral.engine.boot;

/**
 * The boot vCPU's registers at the kernel's entry, as a loader leaves them: what the KVM backend puts into
 * KVM_SET_REGS/SREGS and the software CPU into its state.
 *
 * @param rsi  64-bit Linux entry: the zero page
 * @param rbx  PVH entry: hvm_start_info
 * @param efer LME|LMA for the 64-bit entry, 0 for PVH's 32-bit protected mode
 */
public record EntryState(long rip, long rsp, long rsi, long rbx, long rflags, long cr0, long cr3, long cr4, long efer,
        long gdtBase, int gdtLimit, long idtBase, int idtLimit, Segment cs, Segment data, Segment tr) {

    public static final long CR0_PE = 1L, CR0_ET = 1L << 4, CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1L << 5;
    public static final long EFER_LME = 1L << 8, EFER_LMA = 1L << 10;

    public boolean longMode() {
        return (efer & EFER_LMA) != 0;
    }
}
