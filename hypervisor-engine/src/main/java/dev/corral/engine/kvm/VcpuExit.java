package dev.corral.engine.kvm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Why {@code KVM_RUN} returned, decoded from the vCPU's {@code kvm_run} page. Decoding is a pure function of that
 * page, so exit handling is tested without /dev/kvm.
 */
public sealed interface VcpuExit {

    /** KVM_EXIT_* values of {@code <linux/kvm.h>} (checked by KvmAbiTest). */
    int EXIT_UNKNOWN = 0, EXIT_EXCEPTION = 1, EXIT_IO = 2, EXIT_HLT = 5, EXIT_MMIO = 6, EXIT_IRQ_WINDOW_OPEN = 7, EXIT_SHUTDOWN = 8,
            EXIT_FAIL_ENTRY = 9, EXIT_INTR = 10, EXIT_INTERNAL_ERROR = 17, EXIT_SYSTEM_EVENT = 24;
    /** KVM_INTERNAL_ERROR_EMULATION: the in-kernel instruction emulator could not run the instruction at RIP. */
    int INTERNAL_ERROR_EMULATION = 1;
    /** KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES: the exit carries the failed instruction's bytes. */
    long EMULATION_FLAG_INSTRUCTION_BYTES = 1;
    /** KVM_SYSTEM_EVENT_* types. */
    int SYSTEM_EVENT_SHUTDOWN = 1, SYSTEM_EVENT_RESET = 2, SYSTEM_EVENT_CRASH = 3;
    int IO_IN = 0, IO_OUT = 1;

    /**
     * Port I/O: {@code count} accesses of {@code size} bytes at {@code port}; the data lives in the kvm_run page at
     * {@code dataOffset} (read it for OUT, fill it for IN).
     */
    record Io(boolean out, int size, int port, int count, long dataOffset) implements VcpuExit {
    }

    /** An access to guest-physical {@code address} that no memory slot backs; for a write, {@code data} holds it. */
    record Mmio(long address, int length, boolean write, long data) implements VcpuExit {
    }

    record Halt() implements VcpuExit {
    }

    /** The guest can take an interrupt now (asked for with {@code request_interrupt_window}; userspace irqchip only). */
    record InterruptWindowOpen() implements VcpuExit {
    }

    /** A triple fault or similar: the guest reset itself. */
    record Shutdown() implements VcpuExit {
    }

    /** KVM could not emulate or continue (suberror 1 is an emulation failure); the VM must fail, not the host. */
    record InternalError(int suberror, long[] data) implements VcpuExit {

        /**
         * The failed instruction's bytes, where KVM reports them (emulation failures since Linux 5.14), else none. The
         * exit is then {@code struct { __u32 suberror; __u32 ndata; __u64 flags; __u8 insn_size; __u8 insn_bytes[15]; }
         * emulation_failure}: data[0] is flags, and data[1..2] hold insn_size and the bytes.
         */
        public byte[] instructionBytes() {
            if (suberror != INTERNAL_ERROR_EMULATION || data.length < 3 || (data[0] & EMULATION_FLAG_INSTRUCTION_BYTES) == 0) {
                return new byte[0];
            }
            var bytes = MemorySegment.ofArray(new long[] {data[1], data[2]});
            int size = Math.min(15, bytes.get(ValueLayout.JAVA_BYTE, 0) & 0xff);
            byte[] instruction = new byte[size];
            MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, 1, instruction, 0, size);
            return instruction;
        }
    }

    record FailEntry(long hardwareReason, int cpu) implements VcpuExit {
    }

    /** KVM_SYSTEM_EVENT_SHUTDOWN (1), RESET (2), CRASH (3)... */
    record SystemEvent(int type) implements VcpuExit {
    }

    /** A signal or {@code immediate_exit} interrupted the run: nothing happened in the guest. */
    record Interrupted() implements VcpuExit {
    }

    record Other(int reason) implements VcpuExit {
    }

    /** Decodes the exit in a vCPU's kvm_run page. */
    static VcpuExit decode(MemorySegment run) {
        int reason = run.get(ValueLayout.JAVA_INT_UNALIGNED, KvmStructs.RUN_EXIT_REASON);
        long u = KvmStructs.RUN_EXIT_UNION;
        return switch (reason) {
            case EXIT_IO -> new Io(run.get(ValueLayout.JAVA_BYTE, u) == IO_OUT, run.get(ValueLayout.JAVA_BYTE, u + 1),
                    Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT_UNALIGNED, u + 2)), run.get(ValueLayout.JAVA_INT_UNALIGNED, u + 4),
                    run.get(ValueLayout.JAVA_LONG_UNALIGNED, u + 8));
            case EXIT_MMIO -> {
                int length = run.get(ValueLayout.JAVA_INT_UNALIGNED, u + 16);
                yield new Mmio(run.get(ValueLayout.JAVA_LONG_UNALIGNED, u), length, run.get(ValueLayout.JAVA_BYTE, u + 20) != 0,
                        run.get(ValueLayout.JAVA_LONG_UNALIGNED, u + 8) & (length >= 8 ? -1L : (1L << (8 * length)) - 1));
            }
            case EXIT_HLT -> new Halt();
            case EXIT_IRQ_WINDOW_OPEN -> new InterruptWindowOpen();
            case EXIT_SHUTDOWN -> new Shutdown();
            case EXIT_INTERNAL_ERROR -> {
                int ndata = Math.min(16, Math.max(0, run.get(ValueLayout.JAVA_INT_UNALIGNED, u + 4)));
                long[] data = new long[ndata];
                for (int i = 0; i < ndata; i++) {
                    data[i] = run.get(ValueLayout.JAVA_LONG_UNALIGNED, u + 8 + 8L * i);
                }
                yield new InternalError(run.get(ValueLayout.JAVA_INT_UNALIGNED, u), data);
            }
            case EXIT_FAIL_ENTRY -> new FailEntry(run.get(ValueLayout.JAVA_LONG_UNALIGNED, u), run.get(ValueLayout.JAVA_INT_UNALIGNED, u + 8));
            case EXIT_SYSTEM_EVENT -> new SystemEvent(run.get(ValueLayout.JAVA_INT_UNALIGNED, u));
            case EXIT_INTR -> new Interrupted();
            default -> new Other(reason);
        };
    }
}
