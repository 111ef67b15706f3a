package dev.corral.engine.cpu.difftest;

import dev.corral.engine.cpu.state.CpuState;
import java.util.Random;

/**
 * The operand picker for one case: it owns the case's initial register state and keeps memory
 * operands inside the data page. RSP, a base register B (pointing at the middle of the data page) and
 * an index register I (a small value) are pinned: instructions may read them but never write them, so
 * every memory operand stays valid through the whole sequence. Other pins (RSI/RDI/RCX for string
 * instructions) are added by generators that need them.
 */
final class Operands {

    static final String[] R64 = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
    static final String[] R8_HIGH = {"ah", "ch", "dh", "bh"};
    static final String[] R8_LOW = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"};

    final Random rnd;
    final CpuState init = new CpuState();
    final byte[] data = new byte[GuestLayout.PAGE];
    /** Set by families that write their own code: the code page is then writable for the guest. */
    boolean writableCode;
    private int pinned;
    final int base;
    final int index;

    /** @param reserved registers the family needs for itself, never chosen as base or index */
    Operands(Random rnd, int reserved) {
        this.rnd = rnd;
        for (int i = 0; i < 16; i++) init.gpr[i] = Values.interesting64(rnd);
        init.gsBase = GuestLayout.GS_BASE;
        init.rflags = 0x202 | (Values.interesting64(rnd) & (GuestLayout.STATUS_FLAGS & ~CpuState.DF));
        for (int i = 0; i < 32; i++) init.xmm[i] = Values.interesting64(rnd);
        rnd.nextBytes(data);
        for (int i = 0; i < 24; i++) {
            int at = rnd.nextInt(GuestLayout.PAGE / 8) * 8;
            byte[] v = X86.le(Values.interesting64(rnd), 8);
            System.arraycopy(v, 0, data, at, 8);
        }
        pin(CpuState.RSP, GuestLayout.DATA + 0xc00 + 8L * rnd.nextInt(32) + (rnd.nextInt(8) == 0 ? 4 : 0));
        pinned |= reserved;
        base = pickFree();
        pin(base, GuestLayout.DATA + 0x800 + rnd.nextInt(16) * 8L - 64);
        index = pickFree();
        pin(index, rnd.nextInt(32));
        pinned &= ~reserved;
    }

    void pin(int reg, long value) {
        pinned |= 1 << reg;
        init.gpr[reg] = value;
    }

    boolean isPinned(int reg) {
        return (pinned & (1 << reg)) != 0;
    }

    private int pickFree() {
        int r;
        do r = rnd.nextInt(16); while (isPinned(r));
        return r;
    }

    /** A register an instruction may write. */
    int dst() {
        return pickFree();
    }

    /** A register an instruction may read. */
    int src() {
        return rnd.nextInt(16);
    }

    /** A byte register an instruction may write: AL..R15B (index 0..15) or AH..BH. */
    Operand.Reg dst8() {
        if (rnd.nextInt(4) == 0) {
            int h = rnd.nextInt(4);
            if (!isPinned(h)) return new Operand.Reg(h, true);
        }
        return Operand.Reg.of(dst());
    }

    Operand.Reg src8() {
        if (rnd.nextInt(4) == 0) return new Operand.Reg(rnd.nextInt(4), true);
        return Operand.Reg.of(src());
    }

    /** A register operand of {@code size} bits for writing. */
    Operand.Reg dstReg(int size) {
        return size == 8 ? dst8() : Operand.Reg.of(dst());
    }

    Operand.Reg srcReg(int size) {
        return size == 8 ? src8() : Operand.Reg.of(src());
    }

    /** A register or memory operand of {@code size} bytes width for writing. */
    Operand dstRm(int size) {
        return rnd.nextInt(5) < 2 ? mem(size / 8) : dstReg(size);
    }

    Operand srcRm(int size) {
        return rnd.nextInt(5) < 2 ? mem(size / 8) : srcReg(size);
    }

    /**
     * A memory operand of {@code bytes} width inside the data page, now and then one that faults: on an
     * inaccessible page, or running off the data page's end (no byte of it may be written).
     */
    Operand.Mem mem(int bytes) {
        int kind = rnd.nextInt(100);
        if (kind == 0) return new Operand.Mem(-1, -1, 1, GuestLayout.NO_ACCESS + rnd.nextInt(64), true);
        if (kind == 1 && bytes > 1) {
            return new Operand.Mem(-1, -1, 1, GuestLayout.DATA + GuestLayout.PAGE - 1 - rnd.nextInt(bytes - 1), true);
        }
        if (kind < 10) return new Operand.Mem(Operand.Mem.RIP, -1, 1, dataAddress(bytes), true);
        if (kind < 15) return new Operand.Mem(-1, -1, 1, dataAddress(bytes), true);
        if (kind < 20) {
            int scale = 1 << rnd.nextInt(4);
            return new Operand.Mem(-1, index, scale, dataAddress(bytes + 31 * 8) , true);
        }
        if (kind < 30) return new Operand.Mem(CpuState.RSP, -1, 1, rnd.nextInt(96) - 64, rnd.nextBoolean());
        boolean withIndex = rnd.nextBoolean();
        int scale = withIndex ? 1 << rnd.nextInt(4) : 1;
        long disp = rnd.nextInt(3) == 0 ? rnd.nextInt(0x600) - 0x300 : rnd.nextInt(256) - 128;
        if (rnd.nextInt(8) == 0) disp = 0;
        return new Operand.Mem(base, withIndex ? index : -1, scale, disp, rnd.nextInt(8) == 0);
    }

    private long dataAddress(int bytes) {
        return GuestLayout.DATA + rnd.nextInt(GuestLayout.PAGE - bytes);
    }

    /** A memory operand aligned to {@code align} bytes (for MOVDQA and aligned SSE operands). */
    Operand.Mem alignedMem(int align) {
        long at = (GuestLayout.DATA + 0x100 + rnd.nextInt(0xd00)) & -align;
        if (rnd.nextBoolean()) return new Operand.Mem(Operand.Mem.RIP, -1, 1, at, true);
        return new Operand.Mem(-1, -1, 1, at, true);
    }

    int xmm() {
        return rnd.nextInt(16);
    }

    static String name(Operand o, int size) {
        return switch (o) {
            case Operand.Reg r -> regName(r, size);
            case Operand.Xmm x -> "xmm" + x.num();
            case Operand.Mem m -> memName(m, size);
        };
    }

    static String regName(Operand.Reg r, int size) {
        if (r.high()) return R8_HIGH[r.num()];
        return switch (size) {
            case 8 -> r.num() < 8 ? R8_LOW[r.num()] : "r" + r.num() + "b";
            case 16 -> r.num() < 8 ? R64[r.num()].substring(1) : "r" + r.num() + "w";
            case 32 -> r.num() < 8 ? "e" + R64[r.num()].substring(1) : "r" + r.num() + "d";
            default -> R64[r.num()];
        };
    }

    static String memName(Operand.Mem m, int size) {
        String width = switch (size) {
            case 0 -> ""; case 8 -> "byte "; case 16 -> "word "; case 32 -> "dword "; case 64 -> "qword "; default -> "xmmword ";
        };
        StringBuilder s = new StringBuilder(width).append("[");
        if (m.base() == Operand.Mem.RIP) return s.append("rip->0x").append(Long.toHexString(m.disp())).append(']').toString();
        if (m.base() >= 0) s.append(R64[m.base()]);
        if (m.index() >= 0) s.append(m.base() >= 0 ? "+" : "").append(R64[m.index()]).append('*').append(m.scale());
        if (m.disp() != 0 || (m.base() < 0 && m.index() < 0)) s.append(m.disp() < 0 ? "-0x" : "+0x").append(Long.toHexString(Math.abs(m.disp())));
        return s.append(']').toString();
    }
}
