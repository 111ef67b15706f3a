/**
 * A software x86-64 CPU: {@link dev.corral.engine.cpu.Cpu} decodes guest instructions into cached blocks
 * and interprets them against a {@link dev.corral.engine.cpu.CpuMemory}. A user-mode CPU runs 64-bit user
 * code and returns faults and system calls to its caller; a system CPU
 * ({@link dev.corral.engine.cpu.Cpu#system}) runs a kernel from the Linux boot state (64-bit, or PVH's 32-bit
 * protected mode) over {@link dev.corral.engine.cpu.PagedMemory} (the guest's page tables, MMIO outside RAM),
 * delivers faults and interrupts through the guest's IDT and leaves for port I/O, HLT and a triple fault only.
 * An application processor ({@link dev.corral.engine.cpu.Cpu#apWaitingForSipi}) waits for SIPI after INIT and
 * starts in real mode at the STARTUP vector, as Linux's AP trampoline expects.
 *
 * <p>Modes: 64-bit mode; compatibility mode (16- and 32-bit code segments under long mode, with interrupts to
 * 64-bit handlers); real mode; 16- and 32-bit protected mode; and the transitions between them: CR0.PE and
 * CR0.PG (with EFER.LME activating long mode, #GP where the manual says), far JMP, CALL and RET (ptr16:16/32,
 * m16:16/32/64), IRET, SYSRET to 64-bit or compatibility mode. Segmentation outside 64-bit mode keeps descriptor
 * caches, honours bases and limits (#GP(0), #SS(0), expand-down segments) and loads descriptors from the GDT and
 * the LDT with the checks of the manual (present, type, DPL/RPL/CPL: #GP, #SS, #NP, #TS with the selector).
 * Paging outside long mode: none, PAE (2 MiB and 4 KiB pages, NX) or 32-bit (4 MiB with PSE, 4 KiB).
 * Real mode takes interrupts through the IVT at the IDTR base; protected mode through 16- and 32-bit interrupt and
 * trap gates, switching to the TSS's stack for a more privileged handler. Code outside 64-bit mode is decoded one
 * instruction at a time (it is the trampoline's few hundred instructions, not a workload), so it needs no block
 * invalidation when CS, the mode or the bytes change.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Guest bytes can only ever produce a {@link dev.corral.engine.cpu.CpuExit}; an encoding the
 *       interpreter does not implement is #UD naming its bytes and address, never a guess.</li>
 *   <li>Faults are precise: at a fault, rip is the faulting instruction and none of its effects are
 *       committed (a REP string instruction keeps its completed iterations, as the hardware does).
 *       Non-canonical addresses fault as the hardware does (#SS for stack references, #GP otherwise).</li>
 *   <li>Integer flags are exact where the manual defines them; undefined ones are deterministic and
 *       follow the AMD host they were measured on.</li>
 *   <li>SSE/SSE2 results and MXCSR flags are bit-exact, including NaN rules, rounding control, DAZ and
 *       FTZ; x87 arithmetic is true 80-bit, correctly rounded by precision and rounding control.</li>
 *   <li>CPUID advertises exactly what is implemented (the x86-64 baseline plus CX16, POPCNT, LAHF/SAHF
 *       and LZCNT), so libc picks routines that run here.</li>
 *   <li>Self-modifying code is correct: writes into decoded pages drop their blocks, and a write into
 *       the executing block takes effect from the next instruction.</li>
 *   <li>Instances share nothing: two CPUs in one JVM are independent.</li>
 * </ul>
 *
 * <p>System-level gaps: no single-stepping (TF is never set), no hardware breakpoints (DR0-7 are only
 * stored), no TSS I/O bitmap (IOPL alone guards IN/OUT), INS/OUTS are #UD, rings 1 and 2 are refused in 64-bit
 * mode, page-table reserved bits are not checked, and writes to guest RAM that bypass the CPU (DMA) drop
 * decoded code only when reported through {@link dev.corral.engine.cpu.PagedMemory#physicalWritten}.
 * Outside 64-bit mode: no virtual-8086 mode (EFLAGS.VM is never set; IRET to it is #GP), no task switches
 * (task gates, far branches to a TSS, IRET with NT set are #GP), no call gates (#GP), no A20 masking, no
 * SYSCALL/SYSENTER (#UD, as on Intel outside 64-bit mode), BOUND and SALC are #UD; limit checks cover the
 * integer, SSE and CMPXCHG8B operand an instruction addresses (x87 and MMX operands at their first byte), and
 * writes through a read-only data segment or a code segment are not refused; the four PAE PDPTEs are read on
 * each walk rather than cached at CR3 load; x87 FNSTENV/FLDENV and FXSAVE keep their 32/64-bit layouts in
 * 16-bit code. 64-bit mode still refuses LDT selectors in segment loads. INIT puts every CPU into
 * wait-for-SIPI (there is no firmware for a boot processor to restart at the reset vector).
 *
 * <p>Known gaps: no AVX/VEX, SSE3+, BMI, MOVBE, XSAVE, RDRAND (all #UD and not advertised); x87
 * transcendental instructions, FBLD/FBSTP, FNSAVE/FRSTOR are #UD (FPREM, FPREM1, FSCALE and FXTRACT
 * are implemented exactly); unmasked x87 exceptions never raise
 * #MF; AMD's MXCSR.MM (bit 17) is a reserved bit here (LDMXCSR of it is #GP, as on Intel).
 */
package dev.corral.engine.cpu;
