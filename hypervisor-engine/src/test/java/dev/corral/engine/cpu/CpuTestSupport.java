package dev.corral.engine.cpu;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/** A CPU over a 64 KiB flat memory at 0x10000, code at 0x10000, stack growing down from 0x1f000. */
public class CpuTestSupport {

    protected static final long CODE = 0x10000;
    protected static final long DATA = 0x18000;
    protected static final long STACK = 0x1f000;

    protected final FlatMemory mem = new FlatMemory(CODE, 0x10000);
    protected final CpuState st = new CpuState();
    protected final Cpu cpu = new Cpu(st, mem);

    public CpuTestSupport() {
        st.rip = CODE;
        st.gpr[CpuState.RSP] = STACK;
    }

    /** Loads {@code code} at CODE followed by HLT and runs it to the end. */
    protected CpuExit run(int... code) {
        mem.load(CODE, code);
        mem.load(CODE + code.length, 0xf4);
        return cpu.run(10_000);
    }

    /** Parses "b4 01 40 b4 02" into bytes (whitespace-separated hex). */
    protected static int[] hex(String s) {
        String[] parts = s.trim().split("\\s+");
        int[] out = new int[parts.length];
        for (int k = 0; k < parts.length; k++) {
            out[k] = Integer.parseInt(parts[k], 16);
        }
        return out;
    }

    protected CpuExit run(String code) {
        return run(hex(code));
    }

    protected long r(int reg) {
        return st.gpr[reg];
    }

    protected boolean flag(long f) {
        return (st.rflags & f) != 0;
    }

    protected long q(long addr) {
        return mem.read64(addr);
    }
}
