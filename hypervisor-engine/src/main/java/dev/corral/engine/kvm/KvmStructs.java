package dev.corral.engine.kvm;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/**
 * The x86-64 structs of {@code <linux/kvm.h>} and {@code <asm/kvm.h>} as FFM layouts. Each carries its C
 * declaration; KvmAbiTest compiles the real header with gcc and checks every size and field offset used here.
 */
public final class KvmStructs {

    private KvmStructs() {
    }

    /**
     * <pre>struct kvm_regs { __u64 rax, rbx, rcx, rdx; __u64 rsi, rdi, rsp, rbp;
     *     __u64 r8, r9, r10, r11, r12, r13, r14, r15; __u64 rip, rflags; };</pre>
     */
    public static final StructLayout REGS = structLayout(
            JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"), JAVA_LONG.withName("rdx"),
            JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"), JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"),
            JAVA_LONG.withName("r8"), JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
            JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"), JAVA_LONG.withName("r15"),
            JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags")).withName("kvm_regs");

    /**
     * <pre>struct kvm_segment { __u64 base; __u32 limit; __u16 selector; __u8 type;
     *     __u8 present, dpl, db, s, l, g, avl; __u8 unusable; __u8 padding; };</pre>
     */
    public static final StructLayout SEGMENT = structLayout(
            JAVA_LONG.withName("base"), JAVA_INT.withName("limit"), JAVA_SHORT.withName("selector"), JAVA_BYTE.withName("type"),
            JAVA_BYTE.withName("present"), JAVA_BYTE.withName("dpl"), JAVA_BYTE.withName("db"), JAVA_BYTE.withName("s"),
            JAVA_BYTE.withName("l"), JAVA_BYTE.withName("g"), JAVA_BYTE.withName("avl"), JAVA_BYTE.withName("unusable"),
            JAVA_BYTE.withName("padding")).withName("kvm_segment");

    /** <pre>struct kvm_dtable { __u64 base; __u16 limit; __u16 padding[3]; };</pre> */
    public static final StructLayout DTABLE = structLayout(
            JAVA_LONG.withName("base"), JAVA_SHORT.withName("limit"), sequenceLayout(3, JAVA_SHORT).withName("padding"))
            .withName("kvm_dtable");

    /**
     * <pre>struct kvm_sregs { struct kvm_segment cs, ds, es, fs, gs, ss; struct kvm_segment tr, ldt;
     *     struct kvm_dtable gdt, idt; __u64 cr0, cr2, cr3, cr4, cr8; __u64 efer; __u64 apic_base;
     *     __u64 interrupt_bitmap[(KVM_NR_INTERRUPTS + 63) / 64]; };</pre>
     */
    public static final StructLayout SREGS = structLayout(
            SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"), SEGMENT.withName("fs"),
            SEGMENT.withName("gs"), SEGMENT.withName("ss"), SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
            DTABLE.withName("gdt"), DTABLE.withName("idt"), JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"),
            JAVA_LONG.withName("cr3"), JAVA_LONG.withName("cr4"), JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"),
            JAVA_LONG.withName("apic_base"), sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap")).withName("kvm_sregs");

    /**
     * <pre>struct kvm_fpu { __u8 fpr[8][16]; __u16 fcw; __u16 fsw; __u8 ftwx; __u8 pad1; __u16 last_opcode;
     *     __u64 last_ip; __u64 last_dp; __u8 xmm[16][16]; __u32 mxcsr; __u32 pad2; };</pre>
     */
    public static final StructLayout FPU = structLayout(
            sequenceLayout(128, JAVA_BYTE).withName("fpr"), JAVA_SHORT.withName("fcw"), JAVA_SHORT.withName("fsw"),
            JAVA_BYTE.withName("ftwx"), JAVA_BYTE.withName("pad1"), JAVA_SHORT.withName("last_opcode"),
            JAVA_LONG.withName("last_ip"), JAVA_LONG.withName("last_dp"), sequenceLayout(256, JAVA_BYTE).withName("xmm"),
            JAVA_INT.withName("mxcsr"), JAVA_INT.withName("pad2")).withName("kvm_fpu");

    /**
     * <pre>struct kvm_userspace_memory_region { __u32 slot; __u32 flags; __u64 guest_phys_addr;
     *     __u64 memory_size; __u64 userspace_addr; };</pre>
     */
    public static final StructLayout USERSPACE_MEMORY_REGION = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("flags"), JAVA_LONG.withName("guest_phys_addr"),
            JAVA_LONG.withName("memory_size"), JAVA_LONG.withName("userspace_addr")).withName("kvm_userspace_memory_region");

    /**
     * <pre>struct kvm_cpuid_entry2 { __u32 function; __u32 index; __u32 flags; __u32 eax; __u32 ebx; __u32 ecx;
     *     __u32 edx; __u32 padding[3]; };</pre>
     */
    public static final StructLayout CPUID_ENTRY2 = structLayout(
            JAVA_INT.withName("function"), JAVA_INT.withName("index"), JAVA_INT.withName("flags"), JAVA_INT.withName("eax"),
            JAVA_INT.withName("ebx"), JAVA_INT.withName("ecx"), JAVA_INT.withName("edx"),
            sequenceLayout(3, JAVA_INT).withName("padding")).withName("kvm_cpuid_entry2");

    /** <pre>struct kvm_cpuid2 { __u32 nent; __u32 padding; struct kvm_cpuid_entry2 entries[]; };</pre> (the header) */
    public static final StructLayout CPUID2_HEADER = structLayout(JAVA_INT.withName("nent"), JAVA_INT.withName("padding"))
            .withName("kvm_cpuid2");

    /** <pre>struct kvm_msr_entry { __u32 index; __u32 reserved; __u64 data; };</pre> */
    public static final StructLayout MSR_ENTRY = structLayout(JAVA_INT.withName("index"), JAVA_INT.withName("reserved"),
            JAVA_LONG.withName("data")).withName("kvm_msr_entry");

    /** <pre>struct kvm_msrs { __u32 nmsrs; __u32 pad; struct kvm_msr_entry entries[]; };</pre> (the header) */
    public static final StructLayout MSRS_HEADER = structLayout(JAVA_INT.withName("nmsrs"), JAVA_INT.withName("pad"))
            .withName("kvm_msrs");

    /** <pre>struct kvm_interrupt { __u32 irq; };</pre> (KVM_INTERRUPT: an external interrupt vector, userspace irqchip only) */
    public static final StructLayout INTERRUPT = structLayout(JAVA_INT.withName("irq")).withName("kvm_interrupt");

    /**
     * <pre>#define KVM_APIC_REG_SIZE 0x400
     * struct kvm_lapic_state { char regs[KVM_APIC_REG_SIZE]; };</pre> The local APIC's register page, registers at their
     * MMIO offsets (LVT LINT0 at 0x350, LINT1 at 0x360).
     */
    public static final StructLayout LAPIC_STATE = structLayout(sequenceLayout(0x400, JAVA_BYTE).withName("regs"))
            .withName("kvm_lapic_state");

    /** <pre>struct kvm_irq_level { union { __u32 irq; __s32 status; }; __u32 level; };</pre> */
    public static final StructLayout IRQ_LEVEL = structLayout(JAVA_INT.withName("irq"), JAVA_INT.withName("level"))
            .withName("kvm_irq_level");

    /** <pre>struct kvm_irqfd { __u32 fd; __u32 gsi; __u32 flags; __u32 resamplefd; __u8 pad[16]; };</pre> */
    public static final StructLayout IRQFD = structLayout(JAVA_INT.withName("fd"), JAVA_INT.withName("gsi"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resamplefd"), paddingLayout(16)).withName("kvm_irqfd");

    /**
     * <pre>struct kvm_ioeventfd { __u64 datamatch; __u64 addr; __u32 len; __s32 fd; __u32 flags; __u8 pad[36]; };</pre>
     */
    public static final StructLayout IOEVENTFD = structLayout(JAVA_LONG.withName("datamatch"), JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"), JAVA_INT.withName("fd"), JAVA_INT.withName("flags"), paddingLayout(36)).withName("kvm_ioeventfd");

    /** <pre>struct kvm_pit_config { __u32 flags; __u32 pad[15]; };</pre> */
    public static final StructLayout PIT_CONFIG = structLayout(JAVA_INT.withName("flags"), paddingLayout(60))
            .withName("kvm_pit_config");

    /** <pre>struct kvm_msi { __u32 address_lo; __u32 address_hi; __u32 data; __u32 flags; __u32 devid; __u8 pad[12]; };</pre> */
    public static final StructLayout MSI = structLayout(JAVA_INT.withName("address_lo"), JAVA_INT.withName("address_hi"),
            JAVA_INT.withName("data"), JAVA_INT.withName("flags"), JAVA_INT.withName("devid"), paddingLayout(12)).withName("kvm_msi");

    /**
     * <pre>struct kvm_vcpu_events {
     *   struct { __u8 injected; __u8 nr; __u8 has_error_code; __u8 pending; __u32 error_code; } exception;
     *   struct { __u8 injected; __u8 nr; __u8 soft; __u8 shadow; } interrupt;
     *   struct { __u8 injected; __u8 pending; __u8 masked; __u8 pad; } nmi;
     *   __u32 sipi_vector; __u32 flags;
     *   struct { __u8 smm; __u8 pending; __u8 smm_inside_nmi; __u8 latched_init; } smi;
     *   union { __u8 pad[27]; struct { __u8 pending; } triple_fault; };
     *   __u8 exception_has_payload; __u64 exception_payload; };</pre>
     */
    public static final StructLayout VCPU_EVENTS = structLayout(
            JAVA_BYTE.withName("exception_injected"), JAVA_BYTE.withName("exception_nr"),
            JAVA_BYTE.withName("exception_has_error_code"), JAVA_BYTE.withName("exception_pending"),
            JAVA_INT.withName("exception_error_code"),
            JAVA_BYTE.withName("interrupt_injected"), JAVA_BYTE.withName("interrupt_nr"), JAVA_BYTE.withName("interrupt_soft"),
            JAVA_BYTE.withName("interrupt_shadow"),
            JAVA_BYTE.withName("nmi_injected"), JAVA_BYTE.withName("nmi_pending"), JAVA_BYTE.withName("nmi_masked"),
            JAVA_BYTE.withName("nmi_pad"), JAVA_INT.withName("sipi_vector"), JAVA_INT.withName("flags"),
            JAVA_BYTE.withName("smi_smm"), JAVA_BYTE.withName("smi_pending"), JAVA_BYTE.withName("smi_smm_inside_nmi"),
            JAVA_BYTE.withName("smi_latched_init"), sequenceLayout(27, JAVA_BYTE).withName("reserved"),
            JAVA_BYTE.withName("exception_has_payload"), JAVA_LONG.withName("exception_payload")).withName("kvm_vcpu_events");

    /**
     * The head of {@code struct kvm_run} (the vCPU's shared page, mapped once per vCPU) up to the exit union, and the
     * union members this VMM reads:
     * <pre>struct kvm_run { __u8 request_interrupt_window; __u8 immediate_exit; __u8 padding1[6];
     *     __u32 exit_reason; __u8 ready_for_interrupt_injection; __u8 if_flag; __u16 flags;
     *     __u64 cr8; __u64 apic_base;
     *     union {
     *       struct { __u8 direction; __u8 size; __u16 port; __u32 count; __u64 data_offset; } io;
     *       struct { __u64 phys_addr; __u8 data[8]; __u32 len; __u8 is_write; } mmio;
     *       struct { __u32 suberror; __u32 ndata; __u64 data[16]; } internal;
     *       struct { __u64 hardware_entry_failure_reason; __u32 cpu; } fail_entry;
     *       struct { __u32 type; __u32 ndata; __u64 data[16]; } system_event;
     *       ... char padding[256]; }; ... };</pre>
     */
    public static final long RUN_REQUEST_INTERRUPT_WINDOW = 0;
    public static final long RUN_IMMEDIATE_EXIT = 1;
    public static final long RUN_EXIT_REASON = 8;
    public static final long RUN_READY_FOR_INTERRUPT_INJECTION = 12;
    public static final long RUN_IF_FLAG = 13;
    public static final long RUN_EXIT_UNION = 32;
    public static final StructLayout RUN_IO = structLayout(JAVA_BYTE.withName("direction"), JAVA_BYTE.withName("size"),
            JAVA_SHORT.withName("port"), JAVA_INT.withName("count"), JAVA_LONG.withName("data_offset")).withName("io");
    public static final StructLayout RUN_MMIO = structLayout(JAVA_LONG.withName("phys_addr"),
            sequenceLayout(8, JAVA_BYTE).withName("data"), JAVA_INT.withName("len"), JAVA_BYTE.withName("is_write"),
            paddingLayout(3)).withName("mmio");
    public static final StructLayout RUN_INTERNAL = structLayout(JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"),
            sequenceLayout(16, JAVA_LONG).withName("data")).withName("internal");
    public static final StructLayout RUN_FAIL_ENTRY = structLayout(JAVA_LONG.withName("hardware_entry_failure_reason"),
            JAVA_INT.withName("cpu"), paddingLayout(4)).withName("fail_entry");
    public static final StructLayout RUN_SYSTEM_EVENT = structLayout(JAVA_INT.withName("type"), JAVA_INT.withName("ndata"),
            sequenceLayout(16, JAVA_LONG).withName("data")).withName("system_event");
}
