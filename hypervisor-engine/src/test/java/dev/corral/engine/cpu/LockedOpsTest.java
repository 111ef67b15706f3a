package dev.corral.engine.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;

/**
 * Locked read-modify-writes computed two ways must agree: on a system CPU's guest RAM (a compare-and-set on the
 * aligned word, or the split path for operands that cross 8 bytes or a page) and on a user-mode CPU's memory (plain
 * reads and writes, the path the differential suite checks against the host CPU). Seeded random sequences of every
 * locked form, operand size and alignment; registers, arithmetic flags after each instruction and memory compared.
 */
class LockedOpsTest {

    private static final long SEED = 20261205L;
    private static final long DATA = 0x18000, DATA_SIZE = 0x4000, FLAGS = 0x1c000;
    private static final int OPS = 150;
    private static final String[] Q = {"rbx", "rcx", "rsi", "rdi", "r8", "r9", "r10", "r11"};
    private static final String[] L = {"ebx", "ecx", "esi", "edi", "r8d", "r9d", "r10d", "r11d"};
    private static final String[] W = {"bx", "cx", "si", "di", "r8w", "r9w", "r10w", "r11w"};
    private static final String[] B = {"bl", "cl", "sil", "dil", "r8b", "r9b", "r10b", "r11b"};
    private static final String[] ACC = {"al", "ax", "eax", "rax"};

    @Test
    void lockedOperationsOnGuestRamMatchThePlainOnes() {
        Random rnd = new Random(SEED);
        for (int round = 0; round < 12; round++) {
            long seed = rnd.nextLong();
            String program = program(new Random(seed));
            byte[] data = new byte[(int) DATA_SIZE];
            new Random(seed ^ 0x5eed).nextBytes(data);

            CpuState sys;
            byte[] sysData;
            byte[] sysFlags;
            try (var g = KernelGuest.boot(program)) {
                g.mem.slice(DATA, DATA_SIZE).copyFrom(java.lang.foreign.MemorySegment.ofArray(data));
                assertThat(g.cpu.run(1_000_000)).as("system CPU, seed " + seed).isInstanceOf(CpuExit.Halt.class);
                sys = g.st;
                sysData = g.mem.slice(DATA, DATA_SIZE).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                sysFlags = g.mem.slice(FLAGS, 8L * OPS).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            }

            FlatMemory mem = new FlatMemory(0x10000, 0x10000);
            byte[] code = KernelGuest.assemble(KernelGuest.PRELUDE + program + "\n", 0x10000);
            System.arraycopy(code, 0, mem.bytes, 0, code.length);
            System.arraycopy(data, 0, mem.bytes, (int) (DATA - 0x10000), data.length);
            CpuState user = new CpuState();
            user.rip = 0x10000;
            user.gpr[CpuState.RSP] = 0x1f000;
            Cpu cpu = new Cpu(user, mem);
            assertThat(cpu.run(1_000_000)).as("user-mode CPU, seed " + seed).isInstanceOf(CpuExit.Halt.class);

            for (int r = 0; r < 16; r++) {
                if (r != CpuState.RSP) {
                    assertThat(sys.gpr[r]).as("register " + r + ", seed " + seed).isEqualTo(user.gpr[r]);
                }
            }
            byte[] userFlags = Arrays.copyOfRange(mem.bytes, (int) (FLAGS - 0x10000), (int) (FLAGS - 0x10000 + 8 * OPS));
            for (int k = 0; k < OPS; k++) {
                long s = java.nio.ByteBuffer.wrap(sysFlags, 8 * k, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                long u = java.nio.ByteBuffer.wrap(userFlags, 8 * k, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
                assertThat(s & 0x8d5).as("flags after instruction " + k + ", seed " + seed).isEqualTo(u & 0x8d5);
            }
            assertThat(sysData).as("memory, seed " + seed)
                    .isEqualTo(Arrays.copyOfRange(mem.bytes, (int) (DATA - 0x10000), (int) (DATA - 0x10000 + DATA_SIZE)));
        }
    }

    @Test
    void aLockedWriteIntoTheExecutingBlockTakesEffectAtTheNextInstruction() {
        try (var g = KernelGuest.boot("""
                lock incb patched+1(%rip)       # a compare-and-set on the page being executed
            patched:
                mov $0, %eax
                hlt
                """)) {
            assertThat(g.run()).isInstanceOf(CpuExit.Halt.class);
            assertThat(g.r(CpuState.RAX)).isEqualTo(1);
        }
    }

    /** A program of {@link #OPS} locked instructions on random operands, each followed by saving RFLAGS. */
    private static String program(Random rnd) {
        StringBuilder sb = new StringBuilder();
        for (String r : new String[] {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11"}) {
            sb.append("movabs $").append(rnd.nextLong()).append(", %").append(r).append('\n');
        }
        for (int k = 0; k < OPS; k++) {
            int sizeLog = rnd.nextInt(4);
            int size = 1 << sizeLog;
            char suffix = "bwlq".charAt(sizeLog);
            String reg = "%" + (switch (sizeLog) {
                case 0 -> B;
                case 1 -> W;
                case 2 -> L;
                default -> Q;
            })[rnd.nextInt(8)];
            long addr = address(rnd, size);
            String m = "0x" + Long.toHexString(addr);
            sb.append("mov $").append(rnd.nextInt(0x8d6) & 0x8d5).append(", %r12\npush %r12\npopfq\n");
            switch (rnd.nextInt(12)) {
                case 0, 1 -> sb.append("lock ").append(new String[] {"add", "or", "adc", "sbb", "and", "sub", "xor"}[rnd.nextInt(7)])
                        .append(suffix).append(' ').append(reg).append(", ").append(m);
                case 2 -> sb.append("lock ").append(new String[] {"add", "or", "adc", "sbb", "and", "sub", "xor"}[rnd.nextInt(7)])
                        .append(suffix).append(" $").append(size == 1 ? rnd.nextInt(256) - 128 : rnd.nextInt()).append(", ").append(m);
                case 3 -> sb.append("lock ").append(new String[] {"inc", "dec", "not", "neg"}[rnd.nextInt(4)]).append(suffix)
                        .append(' ').append(m);
                case 4 -> {
                    if (size == 1) {
                        sb.append("lock xaddb ").append(reg).append(", ").append(m);
                    } else { // a bit offset that reaches around the operand, both ways
                        String r12 = size == 2 ? "%r12w" : size == 4 ? "%r12d" : "%r12";
                        sb.append("mov $").append(rnd.nextInt(512) - 128).append(", %r12\nlock ")
                                .append(new String[] {"bts", "btr", "btc"}[rnd.nextInt(3)]).append(suffix).append(' ')
                                .append(r12).append(", ").append(m);
                    }
                }
                case 5 -> sb.append("lock ").append(new String[] {"bts", "btr", "btc"}[rnd.nextInt(3)])
                        .append(size == 1 ? 'w' : suffix).append(" $").append(rnd.nextInt(256)).append(", ").append(m);
                case 6 -> sb.append("lock xadd").append(suffix).append(' ').append(reg).append(", ").append(m);
                case 7 -> sb.append(rnd.nextBoolean() ? "lock " : "").append("xchg").append(suffix).append(' ').append(reg)
                        .append(", ").append(m);
                case 8, 9 -> {
                    if (rnd.nextBoolean()) { // equal: the accumulator holds what is there
                        sb.append("mov").append(suffix).append(' ').append(m).append(", %").append(ACC[sizeLog]).append('\n');
                    }
                    sb.append("lock cmpxchg").append(suffix).append(' ').append(reg).append(", ").append(m);
                }
                case 10 -> {
                    long a8 = address(rnd, 8);
                    if (rnd.nextBoolean()) {
                        sb.append("mov 0x").append(Long.toHexString(a8)).append(", %eax\nmov 0x")
                                .append(Long.toHexString(a8 + 4)).append(", %edx\n");
                    }
                    sb.append("lock cmpxchg8b 0x").append(Long.toHexString(a8));
                }
                default -> {
                    long a16 = DATA + 0x100 + (rnd.nextInt((int) DATA_SIZE - 0x200) & ~15);
                    if (rnd.nextBoolean()) {
                        sb.append("mov 0x").append(Long.toHexString(a16)).append(", %rax\nmov 0x")
                                .append(Long.toHexString(a16 + 8)).append(", %rdx\n");
                    }
                    sb.append("lock cmpxchg16b 0x").append(Long.toHexString(a16));
                }
            }
            sb.append("\npushfq\npopq 0x").append(Long.toHexString(FLAGS + 8L * k)).append('\n');
        }
        return sb.append("hlt\n").toString();
    }

    /** An operand address: aligned, misaligned within its word, across 8 bytes, or across a page. */
    private static long address(Random rnd, int size) {
        long base = DATA + 0x100 + rnd.nextInt((int) DATA_SIZE - 0x200);
        return switch (rnd.nextInt(4)) {
            case 0 -> base & -size;
            case 1 -> (base & ~7L) + rnd.nextInt(9 - size);
            case 2 -> size == 1 ? base : (base | 7) - rnd.nextInt(size - 1);
            default -> DATA + 0x1000L * (1 + rnd.nextInt(3)) - 1 - (size == 1 ? 0 : rnd.nextInt(size - 1));
        };
    }
}
