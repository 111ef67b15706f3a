package dev.corral.engine.cpu;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.memory.GuestMemory;

/**
 * An application processor for tests of real, protected and compatibility mode: GNU as source (it starts with
 * {@code .code16}) assembled at test time and linked at 0, its bytes put at the SIPI page {@code vector << 12} of
 * 16 MiB of RAM, and a CPU made by {@link Cpu#apWaitingForSipi} and started there. Labels are offsets from the
 * start, as in Linux's trampoline; code outside real mode adds {@code BASE} (the page's address) to them.
 *
 * <p>{@link #runToEnd} plays the platform: bytes written to COM1 (0x3f8) are the guest's output, INs read 0.
 */
final class LegacyGuest implements AutoCloseable {

    static final long RAM = 16L << 20;
    static final int VECTOR = 8;
    static final long BASE = (long) VECTOR << 12;

    final GuestMemory mem;
    final Cpu cpu;
    final CpuState st;
    final StringBuilder serial = new StringBuilder();
    final List<Integer> ports = new ArrayList<>();

    private LegacyGuest(byte[] code) {
        mem = GuestMemory.allocate(RAM);
        mem.write(BASE, code);
        cpu = Cpu.apWaitingForSipi(mem, new MmioHandler() {
            @Override
            public long read(long physicalAddress, int size) {
                return -1L;
            }

            @Override
            public void write(long physicalAddress, int size, long value) {
            }
        });
        st = cpu.state();
    }

    /** Assembles {@code source} (with {@code BASE} defined) and starts it as an AP at {@link #BASE}. */
    static LegacyGuest start(String source) {
        var g = new LegacyGuest(assemble(source));
        if (!g.cpu.startup(VECTOR)) {
            throw new IllegalStateException("a new AP must take its first SIPI");
        }
        return g;
    }

    static byte[] assemble(String source) {
        return KernelGuest.assemble(".set BASE, 0x" + Long.toHexString(BASE) + "\n.code16\nstart:\n" + source + "\n", 0);
    }

    /** Runs until HLT or a shutdown (at most {@code limit} instructions), collecting COM1 output; returns the last exit. */
    CpuExit runToEnd(long limit) {
        long start = cpu.retired();
        while (cpu.retired() - start < limit) {
            CpuExit e = cpu.run(100_000);
            switch (e) {
                case CpuExit.PortIo io -> {
                    ports.add(io.port());
                    if (io.in()) {
                        cpu.completePortIn(0);
                    } else if (io.port() == 0x3f8) {
                        serial.append((char) (io.value() & 0xff));
                    }
                }
                case CpuExit.BudgetSpent b -> { }
                default -> {
                    return e;
                }
            }
        }
        throw new AssertionError("the guest still runs after " + limit + " instructions, rip 0x" + Long.toHexString(st.rip));
    }

    CpuExit runToEnd() {
        return runToEnd(1_000_000);
    }

    long r(int reg) {
        return st.gpr[reg];
    }

    @Override
    public void close() {
        mem.close();
    }
}
