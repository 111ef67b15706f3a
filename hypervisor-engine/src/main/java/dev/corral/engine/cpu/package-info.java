/**
 * A software x86-64 CPU: {@link dev.corral.engine.cpu.Cpu} decodes guest instructions into cached blocks
 * and interprets them against a {@link dev.corral.engine.cpu.CpuMemory}. A user-mode CPU runs 64-bit user
 * code and returns faults and system calls to its caller; a system CPU
 * ({@link dev.corral.engine.cpu.Cpu#system}) runs a 64-bit kernel from the Linux boot state over
 * {@link dev.corral.engine.cpu.PagedMemory} (the guest's page tables, MMIO outside RAM), delivers faults
 * and interrupts through the guest's IDT and leaves for port I/O, HLT and a triple fault only.
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
 * <p>System-level gaps: no compatibility mode (32-bit code segments), no real or protected-mode entry,
 * no single-stepping (TF is never set), no hardware breakpoints (DR0-7 are only stored), no LDT, no TSS
 * I/O bitmap (IOPL alone guards IN/OUT), INS/OUTS and far JMP/CALL are #UD, rings 1 and 2 are refused,
 * page-table reserved bits are not checked, and writes to guest RAM that bypass the CPU (DMA) drop
 * decoded code only when reported through {@link dev.corral.engine.cpu.PagedMemory#physicalWritten}.
 *
 * <p>Known gaps: no AVX/VEX, SSE3+, BMI, MOVBE, XSAVE, RDRAND (all #UD and not advertised); x87
 * transcendental instructions, FBLD/FBSTP, FNSAVE/FRSTOR are #UD (FPREM, FPREM1, FSCALE and FXTRACT
 * are implemented exactly); unmasked x87 exceptions never raise
 * #MF; AMD's MXCSR.MM (bit 17) is a reserved bit here (LDMXCSR of it is #GP, as on Intel).
 */
package dev.corral.engine.cpu;
