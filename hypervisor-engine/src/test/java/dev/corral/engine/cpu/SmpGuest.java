package dev.corral.engine.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.machine.TscClock;
import dev.corral.engine.memory.GuestMemory;

/**
 * Several system vCPUs of one VM ({@link CpuGroup}) over one {@link GuestMemory}, all starting at the same
 * {@link KernelGuest} kernel in the Linux boot state (identity-mapped with 2 MiB pages). Code tells the vCPUs apart
 * by the APIC id in CPUID leaf 1 EBX[31:24]; {@link #STACKS} puts each on its own stack.
 */
final class SmpGuest implements AutoCloseable {

    /** Sets RSP to a stack of its own for each vCPU (0x80000 + 4 KiB * APIC id) and leaves the id in R15. */
    static final String STACKS = """
                mov $1, %eax
                cpuid
                shr $24, %ebx
                mov %rbx, %r15
                mov %rbx, %rax
                shl $12, %rax
                lea 0x81000(%rax), %rsp
            """;

    final GuestMemory mem;
    final CpuGroup group;
    final Cpu[] cpus;
    /** Set when the test gives up (its timeout): the vCPU threads stop at their next slice. */
    private volatile boolean stop;

    private SmpGuest(int vcpus, byte[] code) {
        mem = GuestMemory.allocate(KernelGuest.RAM);
        EntryState entry = LinuxBoot.load(mem, KernelGuest.bzImage(code), null, "").entry();
        TscClock clock = new TscClock(System::nanoTime);
        group = new CpuGroup(mem, clock, CpuidModel.Platform.of(vcpus, clock));
        MmioHandler none = new MmioHandler() {
            @Override
            public long read(long physicalAddress, int size) {
                return -1L;
            }

            @Override
            public void write(long physicalAddress, int size, long value) {
            }
        };
        cpus = new Cpu[vcpus];
        for (int k = 0; k < vcpus; k++) {
            cpus[k] = group.cpu(k, entry, none, LocalApicPort.none());
        }
    }

    static SmpGuest boot(int vcpus, String source) {
        return new SmpGuest(vcpus, KernelGuest.assemble(KernelGuest.PRELUDE + source + "\n", KernelGuest.ENTRY));
    }

    /** Runs every vCPU on a thread of its own until each has halted; rethrows what a vCPU thread threw. */
    void runAll() throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (Cpu cpu : cpus) {
            threads.add(Thread.ofPlatform().name("test-vcpu").daemon().start(() -> {
                try {
                    runToHalt(cpu);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            stop = true; // the test timed out: a vCPU that never halts must not spin on through the other tests
            for (Thread t : threads) {
                t.join();
            }
            throw e;
        }
        if (failure.get() != null) {
            throw new AssertionError("a vCPU failed: " + failure.get(), failure.get());
        }
    }

    void runToHalt(Cpu cpu) {
        while (!stop) {
            CpuExit e = cpu.run(1 << 16);
            if (e instanceof CpuExit.Halt) {
                return;
            }
            if (!(e instanceof CpuExit.BudgetSpent)) {
                throw new AssertionError("vCPU stopped with " + e + " at rip 0x" + Long.toHexString(cpu.state().rip));
            }
        }
        throw new AssertionError("vCPU stopped by the test at rip 0x" + Long.toHexString(cpu.state().rip));
    }

    int read32(long pa) {
        return mem.readInt(pa);
    }

    @Override
    public void close() {
        mem.close();
    }
}
