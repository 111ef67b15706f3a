package dev.corral.engine.kvm;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.boot.Segment;

/** Puts a loader's {@link EntryState} into {@code kvm_regs} and {@code kvm_sregs} (pure: tested without /dev/kvm). */
public final class KvmRegisters {

    private KvmRegisters() {
    }

    public static void writeRegs(EntryState entry, MemorySegment regs) {
        regs.fill((byte) 0);
        set(regs, KvmStructs.REGS, "rip", entry.rip());
        set(regs, KvmStructs.REGS, "rsp", entry.rsp());
        set(regs, KvmStructs.REGS, "rbp", entry.rsp());
        set(regs, KvmStructs.REGS, "rsi", entry.rsi());
        set(regs, KvmStructs.REGS, "rbx", entry.rbx());
        set(regs, KvmStructs.REGS, "rflags", entry.rflags());
    }

    /** Updates {@code sregs} (as read with KVM_GET_SREGS, so the APIC base and the rest stay as KVM set them). */
    public static void writeSregs(EntryState entry, MemorySegment sregs) {
        segment(sregs, "cs", entry.cs());
        for (String s : new String[] {"ds", "es", "fs", "gs", "ss"}) {
            segment(sregs, s, entry.data());
        }
        segment(sregs, "tr", entry.tr());
        dtable(sregs, "gdt", entry.gdtBase(), entry.gdtLimit());
        dtable(sregs, "idt", entry.idtBase(), entry.idtLimit());
        set(sregs, KvmStructs.SREGS, "cr0", entry.cr0());
        set(sregs, KvmStructs.SREGS, "cr3", entry.cr3());
        set(sregs, KvmStructs.SREGS, "cr4", entry.cr4());
        set(sregs, KvmStructs.SREGS, "efer", entry.efer());
    }

    private static void segment(MemorySegment sregs, String name, Segment s) {
        long at = KvmStructs.SREGS.byteOffset(PathElement.groupElement(name));
        var k = KvmStructs.SEGMENT;
        var seg = sregs.asSlice(at, k.byteSize());
        set(seg, k, "base", s.base());
        seg.set(ValueLayout.JAVA_INT_UNALIGNED, k.byteOffset(PathElement.groupElement("limit")), (int) s.limit());
        seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, k.byteOffset(PathElement.groupElement("selector")), (short) s.selector());
        field(seg, "type", s.type());
        field(seg, "present", s.present() ? 1 : 0);
        field(seg, "dpl", s.dpl());
        field(seg, "db", s.db() ? 1 : 0);
        field(seg, "s", s.s() ? 1 : 0);
        field(seg, "l", s.l() ? 1 : 0);
        field(seg, "g", s.g() ? 1 : 0);
        field(seg, "unusable", 0);
    }

    private static void dtable(MemorySegment sregs, String name, long base, int limit) {
        long at = KvmStructs.SREGS.byteOffset(PathElement.groupElement(name));
        sregs.set(ValueLayout.JAVA_LONG_UNALIGNED, at, base);
        sregs.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + 8, (short) limit);
    }

    private static void field(MemorySegment seg, String field, int value) {
        seg.set(ValueLayout.JAVA_BYTE, KvmStructs.SEGMENT.byteOffset(PathElement.groupElement(field)), (byte) value);
    }

    private static void set(MemorySegment seg, java.lang.foreign.StructLayout layout, String field, long value) {
        seg.set(ValueLayout.JAVA_LONG_UNALIGNED, layout.byteOffset(PathElement.groupElement(field)), value);
    }
}
