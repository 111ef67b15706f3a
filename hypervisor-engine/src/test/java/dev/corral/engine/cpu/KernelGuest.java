package dev.corral.engine.cpu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.corral.engine.boot.EntryState;
import dev.corral.engine.boot.LinuxBoot;
import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.CpuState;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.cpu.sys.CpuidModel;
import dev.corral.engine.cpu.sys.LocalApicPort;
import dev.corral.engine.machine.TscClock;
import dev.corral.engine.memory.GuestMemory;

/**
 * A small 64-bit kernel for system CPU tests: GNU as source assembled at test time (as and ld from
 * binutils), put where {@link LinuxBoot} puts a bzImage's 64-bit entry, on 16 MiB of guest RAM with the
 * loader's boot state (identity page tables, GDT with __BOOT_CS 0x10 / __BOOT_DS 0x18, CPL0).
 *
 * <p>Every source starts with {@link #PRELUDE}: {@code IDT} (0x2000, 256 gates, still empty), the
 * {@code gate vec, handler[, type, ist, dpl]} macro that fills one 64-bit gate and {@code idt_load}.
 */
final class KernelGuest implements AutoCloseable {

    static final long RAM = 16L << 20;
    static final long ENTRY = 0x100200;
    static final long IDT = 0x2000;

    static final String PRELUDE = """
            .code64
            .set IDT, 0x2000
            .macro gate vec, handler, type=0x8e, ist=0
                lea \\handler(%rip), %rax
                mov %ax, IDT+\\vec*16
                movw $0x10, IDT+\\vec*16+2
                movb $\\ist, IDT+\\vec*16+4
                movb $\\type, IDT+\\vec*16+5
                shr $16, %rax
                mov %ax, IDT+\\vec*16+6
                shr $16, %rax
                mov %eax, IDT+\\vec*16+8
                movl $0, IDT+\\vec*16+12
            .endm
            .macro idt_load
                sub $16, %rsp
                movw $0xfff, (%rsp)
                movq $IDT, 2(%rsp)
                lidt (%rsp)
                add $16, %rsp
            .endm
            start:
            """;

    final GuestMemory mem;
    final EntryState entry;
    final Cpu cpu;
    final CpuState st;
    /** MMIO writes seen, as "address=value/size". */
    final List<String> mmioWrites = new ArrayList<>();

    private KernelGuest(byte[] code) {
        this(code, null, null, null);
    }

    /** With {@code clock}, {@code platform} and {@code apic}: vCPU 0 of a {@link CpuGroup}; all null: {@link Cpu#system}. */
    private KernelGuest(byte[] code, TscClock clock, CpuidModel.Platform platform, LocalApicPort apic) {
        mem = GuestMemory.allocate(RAM);
        entry = LinuxBoot.load(mem, bzImage(code), null, "").entry();
        MmioHandler mmio = new MmioHandler() {
            @Override
            public long read(long physicalAddress, int size) {
                return -1L;
            }

            @Override
            public void write(long physicalAddress, int size, long value) {
                mmioWrites.add("0x" + Long.toHexString(physicalAddress) + "=0x" + Long.toHexString(value) + "/" + size);
            }
        };
        cpu = clock == null ? Cpu.system(mem, mmio, entry) : new CpuGroup(mem, clock, platform).cpu(0, entry, mmio, apic);
        st = cpu.state();
    }

    /** Boots {@code source} (after the prelude) at the 64-bit entry. */
    static KernelGuest boot(String source) {
        return new KernelGuest(assemble(PRELUDE + source + "\n", ENTRY));
    }

    /** Boots {@code source} on vCPU 0 of a machine like {@code platform} with the TSC on {@code clock}. */
    static KernelGuest boot(String source, TscClock clock, CpuidModel.Platform platform, LocalApicPort apic) {
        return new KernelGuest(assemble(PRELUDE + source + "\n", ENTRY), clock, platform, apic);
    }

    /** Boots raw bytes at the 64-bit entry. */
    static KernelGuest bootBytes(byte[] code) {
        return new KernelGuest(code);
    }

    CpuExit run() {
        return cpu.run(1_000_000);
    }

    long r(int reg) {
        return st.gpr[reg];
    }

    @Override
    public void close() {
        mem.close();
    }

    /** A bzImage (boot protocol 2.15, 64-bit entry) whose protected-mode part has {@code code} at its entry (+0x200). */
    static byte[] bzImage(byte[] code) {
        int setupSects = 4;
        int kernelBytes = (0x200 + code.length + 15) & ~15; // syssize counts 16-byte paragraphs
        var b = ByteBuffer.allocate((setupSects + 1) * 512 + kernelBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) setupSects);
        b.putInt(0x1f4, (kernelBytes + 15) / 16);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x200, (byte) 0xeb).put(0x201, (byte) 0x6a);
        b.putInt(0x202, 0x53726448); // "HdrS"
        b.putShort(0x206, (short) 0x020f);
        b.put(0x211, (byte) 0x01); // LOADED_HIGH
        b.putInt(0x22c, 0x7fffffff);
        b.putInt(0x230, 0x200000);
        b.put(0x234, (byte) 1);
        b.putShort(0x236, (short) 0x1); // XLF_KERNEL_64
        b.putInt(0x238, 2048);
        b.putLong(0x258, 0x1000000);
        b.putInt(0x260, kernelBytes + 0x10000);
        b.put((setupSects + 1) * 512 + 0x200, code);
        return b.array();
    }

    /** Assembles GNU as source into a flat binary linked at {@code origin}. */
    static byte[] assemble(String source, long origin) {
        try {
            Path dir = Files.createTempDirectory("corral-kernel-guest");
            try {
                Path src = dir.resolve("guest.S");
                Files.writeString(src, source, StandardCharsets.US_ASCII);
                exec(dir, "as", "--64", "-o", "guest.o", "guest.S");
                exec(dir, "ld", "-m", "elf_x86_64", "--oformat", "binary", "-Ttext=0x" + Long.toHexString(origin), "-e", "start",
                        "-o", "guest.bin", "guest.o");
                return Files.readAllBytes(dir.resolve("guest.bin"));
            } finally {
                try (var files = Files.walk(dir)) {
                    for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("binutils (as, ld) are needed to assemble the test kernels: " + e.getMessage(), e);
        }
    }

    private static void exec(Path dir, String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while assembling a test kernel", e);
        }
    }
}
