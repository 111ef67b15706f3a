package dev.corral.engine.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import dev.corral.engine.cpu.state.CpuExit;
import dev.corral.engine.cpu.state.MmioHandler;
import dev.corral.engine.memory.GuestMemory;

/**
 * The firmware image of {@code legacy-oracle.S} (a test resource): assembled at test time, run on the software CPU
 * as an application processor started by SIPI vector 0xF0 at F000:0000 with the image at 0xF0000, where QEMU's
 * reset vector (the same image as its BIOS) jumps to. What it prints on COM1 until it writes the isa-debug-exit
 * port is the run's output; {@code legacy-oracle.expected} is QEMU's, recorded by {@link LegacyQemuDifferentialIT}'s
 * command.
 */
final class LegacyOracle {
    private LegacyOracle() {
    }

    static final int VECTOR = 0xf0;
    static final long ROM = 0xf0000;

    static String source() {
        return resource("legacy-oracle.S");
    }

    static String expected() {
        return resource("legacy-oracle.expected");
    }

    private static String resource(String name) {
        try (InputStream in = LegacyOracle.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 64 KiB image, reset vector at its end. */
    static byte[] image() {
        byte[] b = LegacyGuest.assemble(source()).bytes();
        if (b.length != 0x10000) {
            throw new IllegalStateException("the oracle firmware must be 64 KiB, not " + b.length + " bytes");
        }
        return b;
    }

    /** Runs the image on the software CPU; returns what it printed, or the reason it ended otherwise. */
    static String runOnSoftwareCpu(byte[] image) {
        try (GuestMemory mem = GuestMemory.allocate(64L << 20)) {
            mem.write(ROM, image);
            Cpu cpu = Cpu.apWaitingForSipi(mem, new MmioHandler() {
                @Override
                public long read(long physicalAddress, int size) {
                    return -1L;
                }

                @Override
                public void write(long physicalAddress, int size, long value) {
                }
            });
            cpu.startup(VECTOR);
            StringBuilder out = new StringBuilder();
            for (int slice = 0; slice < 1000; slice++) {
                switch (cpu.run(100_000)) {
                    case CpuExit.PortIo io when !io.in() && io.port() == 0x501 -> {
                        return out.toString();
                    }
                    case CpuExit.PortIo io when !io.in() && io.port() == 0x3f8 -> out.append((char) (io.value() & 0xff));
                    case CpuExit.PortIo io -> {
                        if (io.in()) {
                            cpu.completePortIn(0);
                        }
                    }
                    case CpuExit.BudgetSpent b -> { }
                    case CpuExit other -> {
                        return out + "\n[ended: " + other + " at rip 0x" + Long.toHexString(cpu.state().rip) + "]";
                    }
                }
            }
            return out + "\n[still running]";
        }
    }
}
