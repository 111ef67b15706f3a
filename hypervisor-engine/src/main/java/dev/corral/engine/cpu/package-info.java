/**
 * A software x86-64 CPU for 64-bit user-mode code: {@link dev.corral.engine.cpu.Cpu} decodes guest
 * instructions into cached blocks and interprets them against a {@link dev.corral.engine.cpu.CpuMemory}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Guest bytes can only ever produce a {@link dev.corral.engine.cpu.CpuExit}; an encoding the
 *       interpreter does not implement is #UD naming its bytes and address, never a guess.</li>
 *   <li>Faults are precise: at a fault, rip is the faulting instruction and none of its effects are
 *       committed (a REP string instruction keeps its completed iterations, as the hardware does).</li>
 *   <li>Integer flags are exact where the manual defines them; undefined flags are deterministic.</li>
 *   <li>CPUID advertises exactly what is implemented, so libc picks routines that run here.</li>
 *   <li>Self-modifying code is correct: writes into decoded pages drop their blocks, and a write into
 *       the executing block takes effect from the next instruction.</li>
 *   <li>Instances share nothing: two CPUs in one JVM are independent.</li>
 * </ul>
 */
package dev.corral.engine.cpu;
