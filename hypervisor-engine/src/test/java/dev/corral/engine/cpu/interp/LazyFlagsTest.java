package dev.corral.engine.cpu.interp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.Alu;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.LazyFlags;
import dev.corral.engine.cpu.sys.CpuidModel;

/**
 * Seeded property test: every lazy flags record, and a ROL or ROR on top of one, gives the interpreter's flags
 * ({@link Alu}), bit for bit.
 */
class LazyFlagsTest {

    private static final int[] SIZES = {1, 2, 4, 8};

    private static long operand(Random rnd, int size) {
        long v = switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> 1L << (size * 8 - 1); // the sign bit alone
            case 3 -> rnd.nextInt(3) - 1;
            default -> rnd.nextLong();
        };
        return v & Alu.mask(size);
    }

    @Test
    void everyKindMatchesTheInterpretersArithmetic() {
        Random rnd = new Random(20261206L);
        CpuState s = new CpuState();
        Alu alu = new Alu(s);
        for (int n = 0; n < 200_000; n++) {
            int size = SIZES[rnd.nextInt(4)];
            long a = operand(rnd, size), b = operand(rnd, size);
            s.rflags = 0x202 | (rnd.nextLong() & (Alu.ARITH | CpuState.DF));
            long before = s.rflags;
            long cf = before & CpuState.CF;
            int kind = 1 + rnd.nextInt(10);
            long r;
            long bArg = b;
            switch (kind) {
                case LazyFlags.ADD -> r = alu.add(size, a, b, 0);
                case LazyFlags.SUB -> r = alu.sub(size, a, b, 0);
                case LazyFlags.ADC -> r = alu.add(size, a, b, cf);
                case LazyFlags.SBB -> r = alu.sub(size, a, b, cf);
                case LazyFlags.LOGIC -> r = alu.logic(size, a ^ b);
                case LazyFlags.INC -> {
                    r = alu.inc(size, a);
                    bArg = cf;
                }
                case LazyFlags.DEC -> {
                    r = alu.dec(size, a);
                    bArg = cf;
                }
                default -> {
                    int count = 1 + rnd.nextInt(size == 8 ? 63 : 31);
                    int alusKind = kind == LazyFlags.SHL ? 4 : kind == LazyFlags.SHR ? 5 : 7;
                    r = alu.shift(alusKind, size, a, count);
                    bArg = count;
                }
            }
            long lazy = LazyFlags.compute(LazyFlags.op(kind, size), before, kind == LazyFlags.LOGIC ? 0 : a, bArg, r);
            assertThat(Long.toHexString(lazy)).as("kind %d size %d a %x b %x", kind, size, a, bArg)
                    .isEqualTo(Long.toHexString(alu.f));
            // with a CF/OF-only operation after it: ROL and ROR as the interpreter does them
            int rot = rnd.nextInt(2);
            int count = 1 + rnd.nextInt(size == 8 ? 63 : 31);
            s.rflags = alu.f;
            long rr = alu.shift(rot, size, r, count);
            assertThat(LazyFlags.rotate(rot, size, r, count)).isEqualTo(rr);
            long x = LazyFlags.rotateCfOf(rot, size, rr);
            long both = LazyFlags.compute(LazyFlags.op(kind, size) | LazyFlags.CF_OF, before,
                    kind == LazyFlags.LOGIC ? 0 : a, bArg, r, x);
            assertThat(Long.toHexString(both)).as("rotate %d after kind %d size %d", rot, kind, size)
                    .isEqualTo(Long.toHexString(alu.f));
        }
    }

    @Test
    void conditionsOfLazyStateAreThoseOfTheMaterializedFlags() {
        Random rnd = new Random(7);
        for (int n = 0; n < 20_000; n++) {
            int size = SIZES[rnd.nextInt(4)];
            CpuState s = new CpuState();
            s.ccOp = LazyFlags.op(LazyFlags.SUB, size);
            s.ccA = operand(rnd, size);
            s.ccB = operand(rnd, size);
            s.ccR = (s.ccA - s.ccB) & Alu.mask(size);
            int cc = rnd.nextInt(16);
            CpuState exact = new CpuState();
            exact.rflags = LazyFlags.compute(s.ccOp, s.rflags, s.ccA, s.ccB, s.ccR);
            Interp interp = new Interp(exact, null, CpuidModel.standard());
            assertThat(LazyFlags.cond(s, cc)).isEqualTo(interp.cond(cc) ? 1 : 0);
            assertThat(s.ccOp).as("cond left the state exact").isZero();
        }
    }
}
