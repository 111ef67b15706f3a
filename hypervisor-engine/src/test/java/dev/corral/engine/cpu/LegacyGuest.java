package dev.corral.engine.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.memory.GuestMemory;

/**
 * An application processor for tests of real, protected and compatibility mode: GNU as source (it starts in
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

    /** A flat binary and its symbols (offsets from its start). */
    record Image(byte[] bytes, Map<String, Long> symbols) {}

    final GuestMemory mem;
    final Cpu cpu;
    final CpuState st;
    final Image image;
    final StringBuilder serial = new StringBuilder();
    final List<Integer> ports = new ArrayList<>();

    private LegacyGuest(Image image) {
        this.image = image;
        mem = GuestMemory.allocate(RAM);
        mem.write(BASE, image.bytes());
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
        var g = new LegacyGuest(assemble(".set BASE, 0x" + Long.toHexString(BASE) + "\n.code16\nstart:\n" + source + "\n"));
        if (!g.cpu.startup(VECTOR)) {
            throw new IllegalStateException("a new AP must take its first SIPI");
        }
        return g;
    }

    /** The offset of {@code label} from the start of the image. */
    long symbol(String label) {
        Long v = image.symbols().get(label);
        if (v == null) {
            throw new IllegalArgumentException("no symbol " + label + " in the guest");
        }
        return v;
    }

    /** GNU as source to a flat binary linked at 0, with its symbol table (as, ld, objcopy and nm from binutils). */
    static Image assemble(String source) {
        return build(source, 0, false);
    }

    /** GNU as source to an ELF executable linked at {@code origin} (its notes kept), the bytes of the file. */
    static byte[] assembleElf(String source, long origin) {
        return build(source, origin, true).bytes();
    }

    private static Image build(String source, long origin, boolean elf) {
        try {
            Path dir = Files.createTempDirectory("corral-legacy-guest");
            try {
                Files.writeString(dir.resolve("guest.S"), source, StandardCharsets.US_ASCII);
                exec(dir, "as", "--64", "-o", "guest.o", "guest.S");
                exec(dir, "ld", "-m", "elf_x86_64", "-Ttext=0x" + Long.toHexString(origin), "-e", "start", "-z", "noexecstack",
                        "-o", "guest.elf", "guest.o");
                if (elf) {
                    return new Image(Files.readAllBytes(dir.resolve("guest.elf")), Map.of());
                }
                exec(dir, "objcopy", "-O", "binary", "guest.elf", "guest.bin");
                Map<String, Long> symbols = new HashMap<>();
                for (String line : exec(dir, "nm", "guest.elf").split("\n")) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length == 3) {
                        symbols.put(f[2], Long.parseUnsignedLong(f[0], 16));
                    }
                }
                return new Image(Files.readAllBytes(dir.resolve("guest.bin")), symbols);
            } finally {
                try (var files = Files.walk(dir)) {
                    for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("binutils (as, ld, objcopy, nm) are needed to assemble the test guests: "
                    + e.getMessage(), e);
        }
    }

    private static String exec(Path dir, String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while assembling a test guest", e);
        }
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
