package dev.corral.engine.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KVM ABI as this engine spells it (struct layouts and ioctl numbers) against the kernel's own header: a C
 * program compiled with gcc against {@code <linux/kvm.h>} prints the real sizes, offsets and numbers. No /dev/kvm
 * needed, so a wrong layout is caught on every machine, not only on one that runs guests.
 */
class KvmAbiTest {

    @TempDir
    Path tmp;

    @Test
    void everyStructSizeFieldOffsetAndIoctlNumberMatchesLinuxKvmH() throws Exception {
        var expected = new LinkedHashMap<String, Long>();
        var c = new StringBuilder("#include <linux/kvm.h>\n#include <stddef.h>\n#include <stdio.h>\nint main(void) {\n");
        size(c, expected, "kvm_regs", KvmStructs.REGS);
        size(c, expected, "kvm_segment", KvmStructs.SEGMENT);
        size(c, expected, "kvm_dtable", KvmStructs.DTABLE);
        size(c, expected, "kvm_sregs", KvmStructs.SREGS);
        size(c, expected, "kvm_fpu", KvmStructs.FPU);
        size(c, expected, "kvm_userspace_memory_region", KvmStructs.USERSPACE_MEMORY_REGION);
        size(c, expected, "kvm_cpuid_entry2", KvmStructs.CPUID_ENTRY2);
        size(c, expected, "kvm_cpuid2", KvmStructs.CPUID2_HEADER);
        size(c, expected, "kvm_msr_entry", KvmStructs.MSR_ENTRY);
        size(c, expected, "kvm_msrs", KvmStructs.MSRS_HEADER);
        size(c, expected, "kvm_irq_level", KvmStructs.IRQ_LEVEL);
        size(c, expected, "kvm_irqfd", KvmStructs.IRQFD);
        size(c, expected, "kvm_ioeventfd", KvmStructs.IOEVENTFD);
        size(c, expected, "kvm_pit_config", KvmStructs.PIT_CONFIG);
        size(c, expected, "kvm_msi", KvmStructs.MSI);
        size(c, expected, "kvm_vcpu_events", KvmStructs.VCPU_EVENTS);
        size(c, expected, "kvm_interrupt", KvmStructs.INTERRUPT);
        size(c, expected, "kvm_lapic_state", KvmStructs.LAPIC_STATE);
        for (String f : new String[] {"rax", "rsi", "rsp", "r8", "r15", "rip", "rflags"}) {
            offset(c, expected, "kvm_regs", f, KvmStructs.REGS, f);
        }
        for (String f : new String[] {"base", "limit", "selector", "type", "present", "dpl", "db", "s", "l", "g", "avl", "unusable"}) {
            offset(c, expected, "kvm_segment", f, KvmStructs.SEGMENT, f);
        }
        for (String f : new String[] {"cs", "ss", "tr", "ldt", "gdt", "idt", "cr0", "cr3", "cr4", "cr8", "efer", "apic_base",
                "interrupt_bitmap"}) {
            offset(c, expected, "kvm_sregs", f, KvmStructs.SREGS, f);
        }
        offset(c, expected, "kvm_dtable", "limit", KvmStructs.DTABLE, "limit");
        for (String f : new String[] {"fcw", "fsw", "ftwx", "last_opcode", "last_ip", "last_dp", "xmm", "mxcsr"}) {
            offset(c, expected, "kvm_fpu", f, KvmStructs.FPU, f);
        }
        for (String f : new String[] {"slot", "flags", "guest_phys_addr", "memory_size", "userspace_addr"}) {
            offset(c, expected, "kvm_userspace_memory_region", f, KvmStructs.USERSPACE_MEMORY_REGION, f);
        }
        for (String f : new String[] {"function", "index", "flags", "eax", "ebx", "ecx", "edx"}) {
            offset(c, expected, "kvm_cpuid_entry2", f, KvmStructs.CPUID_ENTRY2, f);
        }
        offset(c, expected, "kvm_msr_entry", "data", KvmStructs.MSR_ENTRY, "data");
        offset(c, expected, "kvm_irqfd", "resamplefd", KvmStructs.IRQFD, "resamplefd");
        for (String f : new String[] {"addr", "len", "fd", "flags"}) {
            offset(c, expected, "kvm_ioeventfd", f, KvmStructs.IOEVENTFD, f);
        }
        offset(c, expected, "kvm_msi", "address_hi", KvmStructs.MSI, "address_hi");
        offset(c, expected, "kvm_msi", "data", KvmStructs.MSI, "data");
        offset(c, expected, "kvm_msi", "flags", KvmStructs.MSI, "flags");
        offset(c, expected, "kvm_msi", "devid", KvmStructs.MSI, "devid");
        for (String[] f : new String[][] {{"exception.error_code", "exception_error_code"}, {"interrupt.nr", "interrupt_nr"},
                {"nmi.masked", "nmi_masked"}, {"sipi_vector", "sipi_vector"}, {"flags", "flags"}, {"smi.latched_init", "smi_latched_init"},
                {"exception_has_payload", "exception_has_payload"}, {"exception_payload", "exception_payload"}}) {
            offset(c, expected, "kvm_vcpu_events", f[0], KvmStructs.VCPU_EVENTS, f[1]);
        }
        expected.put("offsetof kvm_run.immediate_exit", KvmStructs.RUN_IMMEDIATE_EXIT);
        c.append(line("offsetof kvm_run.immediate_exit", "offsetof(struct kvm_run, immediate_exit)"));
        expected.put("offsetof kvm_run.exit_reason", KvmStructs.RUN_EXIT_REASON);
        c.append(line("offsetof kvm_run.exit_reason", "offsetof(struct kvm_run, exit_reason)"));
        for (Object[] f : new Object[][] {{"request_interrupt_window", KvmStructs.RUN_REQUEST_INTERRUPT_WINDOW},
                {"ready_for_interrupt_injection", KvmStructs.RUN_READY_FOR_INTERRUPT_INJECTION}, {"if_flag", KvmStructs.RUN_IF_FLAG},
                {"emulation_failure.flags", KvmStructs.RUN_EXIT_UNION + 8}, {"emulation_failure.insn_size", KvmStructs.RUN_EXIT_UNION + 16},
                {"emulation_failure.insn_bytes", KvmStructs.RUN_EXIT_UNION + 17}}) {
            expected.put("offsetof kvm_run." + f[0], (Long) f[1]);
            c.append(line("offsetof kvm_run." + f[0], "offsetof(struct kvm_run, " + f[0] + ")"));
        }
        union(c, expected, "io", KvmStructs.RUN_IO, "direction", "size", "port", "count", "data_offset");
        union(c, expected, "mmio", KvmStructs.RUN_MMIO, "phys_addr", "data", "len", "is_write");
        union(c, expected, "internal", KvmStructs.RUN_INTERNAL, "suberror", "ndata", "data");
        union(c, expected, "fail_entry", KvmStructs.RUN_FAIL_ENTRY, "hardware_entry_failure_reason", "cpu");
        union(c, expected, "system_event", KvmStructs.RUN_SYSTEM_EVENT, "type", "ndata");
        for (var f : KvmIoctl.class.getFields()) {
            if (f.getType() == long.class) {
                String name = "KVM_" + f.getName();
                expected.put("ioctl " + name, f.getLong(null));
                c.append(line("ioctl " + name, "(unsigned long) " + name));
            }
        }
        for (String[] v : new String[][] {{"KVM_EXIT_IO", "" + VcpuExit.EXIT_IO}, {"KVM_EXIT_HLT", "" + VcpuExit.EXIT_HLT},
                {"KVM_EXIT_MMIO", "" + VcpuExit.EXIT_MMIO}, {"KVM_EXIT_SHUTDOWN", "" + VcpuExit.EXIT_SHUTDOWN},
                {"KVM_EXIT_FAIL_ENTRY", "" + VcpuExit.EXIT_FAIL_ENTRY}, {"KVM_EXIT_INTR", "" + VcpuExit.EXIT_INTR},
                {"KVM_EXIT_INTERNAL_ERROR", "" + VcpuExit.EXIT_INTERNAL_ERROR}, {"KVM_EXIT_SYSTEM_EVENT", "" + VcpuExit.EXIT_SYSTEM_EVENT},
                {"KVM_EXIT_IO_OUT", "" + VcpuExit.IO_OUT}, {"KVM_EXIT_IO_IN", "" + VcpuExit.IO_IN},
                {"KVM_EXIT_IRQ_WINDOW_OPEN", "" + VcpuExit.EXIT_IRQ_WINDOW_OPEN},
                {"KVM_INTERNAL_ERROR_EMULATION", "" + VcpuExit.INTERNAL_ERROR_EMULATION},
                {"KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES", "" + VcpuExit.EMULATION_FLAG_INSTRUCTION_BYTES},
                {"KVM_SYSTEM_EVENT_SHUTDOWN", "" + VcpuExit.SYSTEM_EVENT_SHUTDOWN}, {"KVM_SYSTEM_EVENT_RESET", "" + VcpuExit.SYSTEM_EVENT_RESET},
                {"KVM_SYSTEM_EVENT_CRASH", "" + VcpuExit.SYSTEM_EVENT_CRASH}, {"KVM_CPUID_FLAG_SIGNIFCANT_INDEX", "" + CpuidEntry.FLAG_SIGNIFICANT_INDEX},
                {"KVM_CAP_IMMEDIATE_EXIT", "" + Kvm.CAP_IMMEDIATE_EXIT}, {"KVM_CAP_IRQCHIP", "" + Kvm.CAP_IRQCHIP},
                {"KVM_CAP_PIT2", "" + Kvm.CAP_PIT2}, {"KVM_CAP_SIGNAL_MSI", "" + Kvm.CAP_SIGNAL_MSI}, {"KVM_CAP_SET_TSS_ADDR", "" + Kvm.CAP_SET_TSS_ADDR},
                {"KVM_CAP_USER_MEMORY", "" + Kvm.CAP_USER_MEMORY}, {"KVM_PIT_SPEAKER_DUMMY", "" + VmFd.PIT_SPEAKER_DUMMY}}) {
            expected.put("value " + v[0], Long.parseLong(v[1]));
            c.append(line("value " + v[0], "(unsigned long) " + v[0]));
        }
        expected.put("value KVM_API_VERSION", (long) KvmIoctl.API_VERSION);
        c.append(line("value KVM_API_VERSION", "(unsigned long) KVM_API_VERSION"));
        c.append("return 0;\n}\n");

        var actual = compileAndRun(c.toString());
        var mismatches = new java.util.ArrayList<String>();
        expected.forEach((key, value) -> {
            if (!value.equals(actual.get(key))) {
                mismatches.add(key + ": engine says " + value + ", <linux/kvm.h> says " + actual.get(key));
            }
        });
        assertThat(actual.keySet()).isEqualTo(new TreeMap<>(expected).keySet());
        assertThat(mismatches).isEmpty();
    }

    private static void size(StringBuilder c, Map<String, Long> expected, String struct, StructLayout layout) {
        expected.put("sizeof " + struct, layout.byteSize());
        c.append(line("sizeof " + struct, "sizeof(struct " + struct + ")"));
    }

    private static void offset(StringBuilder c, Map<String, Long> expected, String struct, String cField, StructLayout layout,
            String javaField) {
        String key = "offsetof " + struct + "." + cField;
        expected.put(key, layout.byteOffset(MemoryLayout.PathElement.groupElement(javaField)));
        c.append(line(key, "offsetof(struct " + struct + ", " + cField + ")"));
    }

    private static void union(StringBuilder c, Map<String, Long> expected, String member, StructLayout layout, String... fields) {
        for (String f : fields) {
            String key = "offsetof kvm_run." + member + "." + f;
            expected.put(key, KvmStructs.RUN_EXIT_UNION + layout.byteOffset(MemoryLayout.PathElement.groupElement(f)));
            c.append(line(key, "offsetof(struct kvm_run, " + member + "." + f + ")"));
        }
    }

    private static String line(String key, String expression) {
        return "printf(\"" + key + " %lu\\n\", (unsigned long) (" + expression + "));\n";
    }

    private Map<String, Long> compileAndRun(String source) throws IOException, InterruptedException {
        Path src = tmp.resolve("kvmabi.c");
        Path exe = tmp.resolve("kvmabi");
        Files.writeString(src, source);
        var gcc = new ProcessBuilder("gcc", "-O0", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        String gccOut = new String(gcc.getInputStream().readAllBytes());
        assertThat(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0).as("gcc:\n%s", gccOut).isTrue();
        var run = new ProcessBuilder(exe.toString()).start();
        var actual = new TreeMap<String, Long>();
        new String(run.getInputStream().readAllBytes()).lines().forEach(l -> {
            int space = l.lastIndexOf(' ');
            actual.put(l.substring(0, space), Long.parseUnsignedLong(l.substring(space + 1)));
        });
        assertThat(run.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return actual;
    }
}
