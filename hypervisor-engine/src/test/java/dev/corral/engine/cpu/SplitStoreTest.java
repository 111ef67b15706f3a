package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;

/** Stores made of several writes that span two pages: a fault in either page writes nothing. */
class SplitStoreTest extends CpuTestSupport {

    private static final long END = CODE + 0x10000; // the first unmapped byte

    private void fill(long from, long to) {
        for (long p = from; p < to; p++) {
            mem.write8(p, 0x5a);
        }
    }

    private void assertFaultWithNothingWritten(CpuExit e, long address, long from, long to, long rip) {
        CpuExit.Fault f = (CpuExit.Fault) e;
        assertThat(f.vector()).isEqualTo(CpuExit.Fault.PF);
        assertThat(f.address()).isEqualTo(address);
        assertThat(f.errorCode() & 2).as("write").isEqualTo(2);
        byte[] expected = new byte[(int) (to - from)];
        Arrays.fill(expected, (byte) 0x5a);
        assertThat(Arrays.copyOfRange(mem.bytes, (int) (from - CODE), (int) (to - CODE))).isEqualTo(expected);
        assertThat(st.rip).isEqualTo(rip);
    }

    @Test
    void movdquWhoseSecondHalfIsUnmappedWritesNothing() {
        fill(END - 0x20, END);
        st.gpr[3] = END - 11; // 11 bytes mapped, 5 beyond the end
        st.xmm[14] = -1;
        st.xmm[15] = -1;
        CpuExit e = run("f3 0f 7f 3b"); // movdqu [rbx], xmm7
        assertFaultWithNothingWritten(e, END, END - 0x20, END, CODE);
    }

    @Test
    void movupsWhoseFirstHalfIsReadOnlyWritesNothing() {
        long boundary = CODE + 0x8000;
        mem.readOnlyBelow = 0x8000;
        fill(boundary, boundary + 0x20);
        st.gpr[3] = boundary - 4;
        st.xmm[14] = -1;
        st.xmm[15] = -1;
        CpuExit e = run("0f 11 3b"); // movups [rbx], xmm7
        assertFaultWithNothingWritten(e, boundary - 4, boundary, boundary + 0x20, CODE);
    }

    @Test
    void fstpM80SplitAcrossTheEndWritesNothingAndKeepsTheStack() {
        fill(END - 0x20, END);
        st.gpr[3] = END - 9; // the exponent's last byte lies beyond the end
        CpuExit e = run("d9 e8 " // fld1
                + "db 3b"); // fstp tword [rbx]
        assertFaultWithNothingWritten(e, END, END - 0x20, END, CODE + 2);
        st.rip = CODE + 2;
        st.gpr[3] = END - 16;
        mem.load(CODE + 2, 0xdb, 0x3b, 0xf4);
        assertThat(cpu.run(10)).isInstanceOf(CpuExit.Halt.class); // 1.0 was still on the stack
        assertThat(q(END - 16)).isEqualTo(0x8000_0000_0000_0000L);
        assertThat(mem.read16(END - 8)).isEqualTo(0x3fff);
    }

    @Test
    void fnstenvAndFxsaveSplitAcrossTheEndWriteNothing() {
        fill(END - 0x200, END);
        st.gpr[3] = END - 20; // FNSTENV writes 28 bytes
        assertFaultWithNothingWritten(run("d9 33"), END, END - 0x200, END, CODE);
        st.rip = CODE;
        st.gpr[3] = END - 0x100; // 16-byte aligned, FXSAVE writes 416 bytes
        assertFaultWithNothingWritten(run("0f ae 03"), END, END - 0x200, END, CODE);
    }
}
