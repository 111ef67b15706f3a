package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.Segments;
import dev.corral.engine.memory.GuestMemory;

/**
 * Random bytes as real-mode, 16-bit and 32-bit protected-mode code on an application processor, with random or
 * half-plausible GDTs, IDTs, IVTs and registers: whatever the guest does, the CPU only ever returns
 * {@link CpuExit}s (never a Java exception, never a Fault), and the random programs do reach mode switches, port
 * I/O and triple faults.
 */
class LegacyRandomTest {

    private static final long PAGE = 0x8000;
    private static final long GDT = 0x20000;
    private static final long IDT = 0x21000;
    /** Descriptors random code may well load: flat and small code and data, 16- and 32-bit, a few not present. */
    private static final long[] PLAUSIBLE = {
        0x00cf9b000000ffffL, 0x00cf93000000ffffL, 0x00009b000000ffffL, 0x000093000000ffffL, 0x00af9b000000ffffL,
        0x00cf1b000000ffffL, 0x0040970000000fffL, 0x00cffb000000ffffL, 0x00cff3000000ffffL, 0x0000890030000067L,
        0x0000820040000017L, 0x00009a0080000fffL, 0x0000920090000fffL};
    /** Whole instructions that switch modes, dropped into the random bytes now and then. */
    private static final int[][] SNIPPETS = {
        {0x0f, 0x22, 0xc0}, // MOV CR0, EAX
        {0x0f, 0x22, 0xe0}, // MOV CR4, EAX
        {0x0f, 0x01, 0xf0}, // LMSW AX
        {0xea, 0x00, 0x80, 0x08, 0x00}, // JMP 0008:8000 (16-bit operand)
        {0x66, 0xea, 0x00, 0x80, 0x00, 0x00, 0x08, 0x00}, // JMP 0008:00008000
        {0x66, 0xb8, 0x01, 0x00, 0x00, 0x00}, // MOV EAX, 1
        {0x0f, 0x30}, // WRMSR
        {0xcf}, {0xcb}, {0x8e, 0xd0}, {0x0f, 0x00, 0xd8}, {0x0f, 0x00, 0xd0}};

    @Test
    void randomLegacyCodeOnlyEverProducesExits() {
        Random rnd = new Random(20261206);
        int[] prefixes = {0x66, 0x67, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf3, 0x0f, 0x0f, 0x0f, 0xcd, 0xcf, 0xca,
            0xea, 0x9a, 0x8e, 0x17, 0x1f, 0x07, 0xff, 0xc4, 0xc5, 0x60, 0x61, 0x9d, 0xe4, 0xee, 0xf4, 0xfb, 0x22, 0x01, 0x00};
        int shutdowns = 0;
        int portIo = 0;
        int modeChanges = 0;
        try (GuestMemory mem = GuestMemory.allocate(16L << 20)) {
            for (int round = 0; round < 600; round++) {
                // 0 real mode from SIPI, 1 16-bit and 2 32-bit protected mode, 3 compatibility mode
                int start = rnd.nextInt(4);
                byte[] code = new byte[0x400];
                for (int k = 0; k < code.length; k++) {
                    code[k] = (byte) (rnd.nextInt(3) == 0 ? prefixes[rnd.nextInt(prefixes.length)] : rnd.nextInt(256));
                }
                for (int n = rnd.nextInt(12); n > 0; n--) {
                    int[] s = SNIPPETS[rnd.nextInt(SNIPPETS.length)];
                    int at = rnd.nextInt(code.length - s.length);
                    for (int k = 0; k < s.length; k++) {
                        code[at + k] = (byte) s[k];
                    }
                }
                if (start == 0 && rnd.nextBoolean()) { // enter protected mode first, then jump through a random or plausible GDT[1]
                    byte[] prologue = {0x66, (byte) 0xb8, 0x11, 0, 0, 0, 0x0f, 0x22, (byte) 0xc0, (byte) 0xea, 0x0e, (byte) 0x80, 0x08, 0};
                    System.arraycopy(prologue, 0, code, 0, prologue.length);
                }
                mem.write(PAGE, code);
                for (int d = 1; d < 64; d++) {
                    long desc = rnd.nextInt(3) == 0 ? rnd.nextLong() : PLAUSIBLE[rnd.nextInt(PLAUSIBLE.length)];
                    mem.writeLong(GDT + 8L * d, desc);
                }
                for (int v = 0; v < 256; v++) {
                    long target = PAGE + rnd.nextInt(code.length);
                    int type = rnd.nextInt(4) == 0 ? rnd.nextInt(256) : (0x8e | rnd.nextInt(2) | (rnd.nextInt(4) << 5)) & ~(rnd.nextInt(3) == 0 ? 8 : 0);
                    int sel = rnd.nextInt(4) == 0 ? rnd.nextInt(0x200) : 0x08;
                    mem.writeLong(IDT + 8L * v, (target & 0xffff) | ((long) sel << 16) | ((long) type << 40) | ((target >>> 16) << 48));
                    mem.writeInt(4L * v, rnd.nextInt(4) == 0 ? rnd.nextInt() : (int) (0x08000000L | rnd.nextInt(code.length))); // IVT
                }
                long seed = rnd.nextLong();
                Cpu cpu = Cpu.apWaitingForSipi(mem, new MmioHandler() {
                    final Random r = new Random(seed);

                    @Override
                    public long read(long physicalAddress, int size) {
                        return r.nextLong();
                    }

                    @Override
                    public void write(long physicalAddress, int size, long value) {
                    }
                });
                cpu.startup((int) (PAGE >>> 12));
                CpuState st = cpu.state();
                for (int r = 0; r < 8; r++) {
                    st.gpr[r] = rnd.nextBoolean() ? rnd.nextInt(0x10000) : rnd.nextLong();
                }
                st.gdtBase = GDT;
                st.gdtLimit = rnd.nextBoolean() ? 0x1ff : rnd.nextInt(0x10000);
                st.idtBase = rnd.nextBoolean() ? 0 : IDT;
                st.idtLimit = rnd.nextBoolean() ? 0x3ff : rnd.nextInt(0x10000);
                if (start > 0) { // straight into 16- or 32-bit protected mode, CS and SS from the plausible set
                    st.cr0 |= CpuState.CR0_PE;
                    st.idtBase = IDT;
                    st.idtLimit = 0x7ff;
                    mem.writeLong(GDT + 8, start >= 2 ? PLAUSIBLE[0] : PLAUSIBLE[2]);
                    mem.writeLong(GDT + 16, PLAUSIBLE[1]);
                    Segments seg = new Segments(st, cpu.pagedMemory());
                    seg.load(Segments.CS, 0x08, start >= 2 ? PLAUSIBLE[0] : PLAUSIBLE[2]);
                    seg.load(Segments.SS, 0x10, PLAUSIBLE[1]);
                    seg.load(Segments.DS, 0x10, PLAUSIBLE[1]);
                    st.rip = PAGE;
                }
                if (start == 3) { // long mode over identity-mapped 2 MiB pages, in 32-bit code; a 64-bit IDT
                    mem.writeLong(0x30000, 0x31003);
                    mem.writeLong(0x31000, 0x32003);
                    for (int k = 0; k < 8; k++) {
                        mem.writeLong(0x32000 + 8L * k, ((long) k << 21) | 0x83);
                    }
                    st.cr3 = 0x30000;
                    st.cr4 |= CpuState.CR4_PAE;
                    st.efer = CpuState.EFER_LME | CpuState.EFER_LMA;
                    st.cr0 |= CpuState.CR0_PG;
                    mem.writeLong(GDT + 24, PLAUSIBLE[4]); // 0x18: 64-bit code, for gates and far branches
                    new Segments(st, cpu.pagedMemory()).updateCodeSize();
                }
                st.rflags |= rnd.nextBoolean() ? CpuState.IF : 0;
                int startSize = st.codeSize;
                long startPe = st.cr0 & CpuState.CR0_PE;
                boolean changed = false;
                for (int step = 0; step < 8; step++) {
                    CpuExit e = cpu.run(300);
                    changed |= st.codeSize != startSize || (st.cr0 & CpuState.CR0_PE) != startPe;
                    assertThat(e).isNotNull().isNotInstanceOf(CpuExit.Fault.class).isNotInstanceOf(CpuExit.Syscall.class);
                    if (e instanceof CpuExit.Shutdown) {
                        shutdowns++;
                        break;
                    }
                    if (e instanceof CpuExit.PortIo io) {
                        portIo++;
                        if (io.in()) {
                            cpu.completePortIn(rnd.nextInt());
                        }
                    }
                    if (cpu.interruptible() && rnd.nextBoolean()) {
                        cpu.injectInterrupt(rnd.nextInt(256));
                    }
                }
                if (changed) {
                    modeChanges++;
                }
            }
        }
        assertThat(shutdowns).isGreaterThan(50);
        assertThat(portIo).isGreaterThan(100);
        assertThat(modeChanges).as("rounds whose code switched between real and protected mode or changed the code size")
                .isGreaterThan(50);
        System.out.println("legacy random: " + shutdowns + " shutdowns, " + portIo + " port I/O exits, " + modeChanges
                + " rounds with a mode change");
    }
}
