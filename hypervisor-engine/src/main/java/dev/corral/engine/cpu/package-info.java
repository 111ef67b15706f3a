/**
 * A software x86-64 CPU: {@link dev.corral.engine.cpu.Cpu} decodes guest instructions into cached blocks
 * and interprets them against a {@link dev.corral.engine.cpu.state.CpuMemory}. A user-mode CPU runs 64-bit user
 * code and returns faults and system calls to its caller; a system CPU
 * ({@link dev.corral.engine.cpu.Cpu#system}) runs a kernel from the Linux boot state (64-bit, or PVH's 32-bit
 * protected mode) over {@link dev.corral.engine.cpu.sys.PagedMemory} (the guest's page tables, MMIO outside RAM),
 * delivers faults and interrupts through the guest's IDT and leaves for port I/O, HLT and a triple fault only.
 * An application processor ({@link dev.corral.engine.cpu.Cpu#apWaitingForSipi}) waits for SIPI after INIT and
 * starts in real mode at the STARTUP vector, as Linux's AP trampoline expects. The system vCPUs of one VM are
 * made by its {@link dev.corral.engine.cpu.CpuGroup}, each run on a thread of its own; what the local APIC owns
 * of the CPU (its MSRs, CR8) goes through a {@link dev.corral.engine.cpu.sys.LocalApicPort}.
 *
 * <p>Two tiers run 64-bit code and share everything else (the decoder's {@link dev.corral.engine.cpu.decode.Insn} form,
 * the block cache, paging, delivery, the MSRs): the interpreter ({@code Interp} and the ops classes), which runs
 * every block first and counts how often, and the translator ({@code Translator}), which compiles a block that got
 * hot into JVM bytecode with the JDK's {@code java.lang.classfile} API, loaded as an unloadable hidden class
 * ({@code CompiledBlock}) for HotSpot to compile like any other method. Translated code holds the arithmetic flags
 * lazily ({@code LazyFlags}), answers a conditional jump from the operands of the CMP before it, and calls the
 * interpreter's handler for every instruction it has no bytecode of its own for. {@code corral.cpu.translate}
 * ({@code on}, {@code off}, {@code always}) or {@link dev.corral.engine.cpu.Cpu#translation} chooses the tiers;
 * {@link dev.corral.engine.cpu.Cpu#stats} says what each ran. Code outside 64-bit mode is always interpreted.
 * The Linux user-mode runner built on this CPU lives in {@code dev.corral.engine.usermode}.
 *
 * <p>This package is the facade ({@code Cpu}, {@code CpuGroup}, {@code CpuStats}); the CPU's rooms are its
 * subpackages, each using only those below it: {@code translate} (the second tier), {@code interp} (the interpreter,
 * its ops classes, which see it through {@code Operands}, and the block cache), {@code decode} (instructions to
 * {@code Insn}), {@code sys} (paging and the TLB, delivery, segments, MSRs, the APIC port, the TSC, the CPUID
 * model, the SMP agreements) and {@code state} (registers and flags, the flag formulas, the memory interface, faults
 * and exits). docs/0007 says why; {@code DependencyArrowsTest} keeps it so.
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
 *   <li>Guest bytes can only ever produce a {@link dev.corral.engine.cpu.state.CpuExit}; an encoding the
 *       interpreter does not implement is #UD naming its bytes and address, never a guess.</li>
 *   <li>Faults are precise: at a fault, rip is the faulting instruction and none of its effects are
 *       committed (a REP string instruction keeps its completed iterations, as the hardware does).
 *       Non-canonical addresses fault as the hardware does (#SS for stack references, #GP otherwise).</li>
 *   <li>Integer flags are exact where the manual defines them; undefined ones are deterministic and
 *       follow the AMD host they were measured on.</li>
 *   <li>SSE/SSE2 results and MXCSR flags are bit-exact, including NaN rules, rounding control, DAZ and
 *       FTZ; x87 arithmetic is true 80-bit, correctly rounded by precision and rounding control.</li>
 *   <li>CPUID ({@link dev.corral.engine.cpu.sys.CpuidModel}) names a real part, GenuineIntel family 6 model 0x1c
 *       (the in-order Atom Bonnell, which Linux knows as not speculating), and advertises exactly what is
 *       implemented (the x86-64 baseline plus CX16, POPCNT, LAHF/SAHF and LZCNT; on the system CPU also its
 *       paging and MSR features, TSC_ADJUST, IA32_ARCH_CAPABILITIES, and APIC, x2APIC and TSC-deadline only when
 *       the machine has them), so Linux and libc take their normal paths into code that runs here. Every MSR
 *       Linux 6.1 reads without a fixup on this model answers; IA32_ARCH_CAPABILITIES says the CPU is not
 *       affected by any of the transient-execution bugs it can name.</li>
 *   <li>The TSC is invariant: the VM's {@link dev.corral.engine.machine.TscClock} (the host's monotonic clock
 *       at a fixed frequency, which CPUID 0x15/0x16 state exactly) plus this vCPU's offset, which WRMSR of
 *       IA32_TSC or IA32_TSC_ADJUST moves; vCPUs that write neither read the same timeline.</li>
 *   <li>Both tiers give the same results, flags, faults and retired-instruction counts: translated code
 *       follows the interpreter's handlers' order (inputs, the one memory write, then registers and flags), a fault
 *       in the middle of a translated block leaves the state of the faulting instruction with exact flags, and
 *       the differential suite runs every case in both.</li>
 *   <li>Self-modifying code is correct: writes into decoded pages drop their blocks and their translations,
 *       and a write into the executing block (interpreted or translated) takes effect from the next instruction. Cross-modifying code too: a write by
 *       another vCPU of the VM, or a device write reported to {@link dev.corral.engine.cpu.CpuGroup#deviceWrote},
 *       drops the blocks decoded from that page by the next block boundary of every vCPU.</li>
 *   <li>The vCPUs of a VM see one memory as x86-TSO describes it: loads are not reordered with loads,
 *       stores not with stores, a store not ahead of an earlier load; LOCK-prefixed read-modify-writes and
 *       XCHG with memory are atomic on guest RAM and full fences, as are MFENCE and CPUID. Each vCPU has its
 *       own TLB, flushed only by its own CR0/CR3/CR4/EFER writes and INVLPG, as on the hardware.</li>
 *   <li>VMs share nothing: the vCPUs of one {@link dev.corral.engine.cpu.CpuGroup} share exactly its guest
 *       RAM, TSC clock, code-page registry and split lock; two groups, or two user-mode CPUs, are
 *       independent.</li>
 * </ul>
 *
 * <p>System-level gaps: no single-stepping (TF is never set), no hardware breakpoints (DR0-7 are only
 * stored), no MTRRs or machine checks (not advertised), no TSS I/O bitmap (IOPL alone guards IN/OUT), INS/OUTS
 * are #UD, rings 1 and 2 are refused in 64-bit mode, page-table reserved bits are not checked, and writes to guest
 * RAM that bypass the CPU (DMA) drop decoded code only when reported through
 * {@link dev.corral.engine.cpu.CpuGroup#deviceWrote}. VERR/VERW of an LDT selector give ZF = 0.
 * Outside 64-bit mode: no virtual-8086 mode (EFLAGS.VM is never set; IRET to it is #GP), no task switches
 * (task gates, far branches to a TSS, IRET with NT set are #GP), no call gates (#GP), no A20 masking, no
 * SYSCALL/SYSENTER (#UD, as on Intel outside 64-bit mode), BOUND and SALC are #UD; limit checks cover the
 * integer, SSE and CMPXCHG8B operand an instruction addresses (x87 and MMX operands at their first byte), and
 * writes through a read-only data segment or a code segment are not refused; the four PAE PDPTEs are read on
 * each walk rather than cached at CR3 load; x87 FNSTENV/FLDENV and FXSAVE keep their 32/64-bit layouts in
 * 16-bit code. 64-bit mode still refuses LDT selectors in segment loads. INIT puts every CPU into
 * wait-for-SIPI (there is no firmware for a boot processor to restart at the reset vector).
 *
 * <p>SMP limits: a locked access that crosses an 8-byte boundary or a page (and every CMPXCHG16B) is
 * atomic with respect to the other locked accesses of the VM, which respect its split lock, but not to
 * plain stores that race with it on the same bytes (the hardware locks the bus; we cannot stop a plain
 * store); locked accesses to MMIO are not atomic (devices serialise themselves). Accessed and dirty bits
 * are set atomically but do not wait for the split lock. A vCPU's write to a page another vCPU has just
 * written may reach its own executing block at the next block boundary rather than the next instruction.
 * Serialising instructions other than CPUID and locked ones are not memory fences.
 *
 * <p>Known gaps: no AVX/VEX, SSE3+, BMI, MOVBE, XSAVE, RDTSCP (all #UD and not advertised); x87
 * transcendental instructions, FBLD/FBSTP, FNSAVE/FRSTOR are #UD (FPREM, FPREM1, FSCALE and FXTRACT
 * are implemented exactly); unmasked x87 exceptions never raise
 * #MF; AMD's MXCSR.MM (bit 17) is a reserved bit here (LDMXCSR of it is #GP, as on Intel).
 */
package dev.corral.engine.cpu;
