package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.LinuxGuest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debian's kernel on the software CPU with ACPI on, as a tenant's VM boots it: it finds the tables, uses the PM timer,
 * powers off through S5, shuts down cleanly when the power button is pressed from the host, and resets through the
 * FADT's reset register. About 30 s of one core per boot.
 */
@Timeout(300)
class LinuxAcpiIT {

    /** The stock command line: nothing ACPI (or the CPU) needs a workaround for. */
    private static final String CMDLINE = "console=ttyS0 panic=-1";
    private static final Duration BOOT = Duration.ofSeconds(240);

    private final ConsoleBuffer console = ConsoleBuffer.of(1 << 20);
    private final AtomicReference<Vcpu.Exit.PortIo> lastWrite = new AtomicReference<>();

    private VirtualMachine boot(String cmdline) {
        var config = new VmConfig("linux", 1, 256L << 20, LinuxGuest.kernel(), LinuxGuest.initramfs(), cmdline, false);
        var vm = VirtualMachine.create(config, console, new VirtualMachine.Listener() {
            @Override
            public void started() {
            }

            @Override
            public void finished(VirtualMachine.Outcome outcome) {
            }
        }, (memory, mmio, entry) -> recordingWrites(EmulatedVcpu.create(memory, mmio, entry)));
        vm.start();
        return vm;
    }

    /** The real CPU, with the last OUT it made remembered: the write that ended the VM. */
    private Vcpu recordingWrites(Vcpu cpu) {
        return new Vcpu() {
            @Override
            public Exit run(long budget, long deadlineNanos) {
                var exit = cpu.run(budget, deadlineNanos);
                if (exit instanceof Exit.PortIo io && !io.in()) {
                    lastWrite.set(io);
                }
                return exit;
            }

            @Override
            public boolean interruptible() {
                return cpu.interruptible();
            }

            @Override
            public void injectInterrupt(int vector) {
                cpu.injectInterrupt(vector);
            }

            @Override
            public void completePortIn(int value) {
                cpu.completePortIn(value);
            }
        };
    }

    private String output() {
        return new String(console.readFrom(0).bytes(), StandardCharsets.US_ASCII);
    }

    @Test
    void theKernelFindsTheTablesUsesThePmTimerAndPowersOffThroughS5() throws Exception {
        try (var vm = boot(CMDLINE + " corral.init=poweroff")) {
            assertThat(vm.awaitFinished(BOOT)).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).as(output()).contains(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(output()).contains("ACPI: RSDP 0x00000000000E0000 000024 (v02 CORRAL)")
                    .containsPattern("ACPI: XSDT 0x00000000000E0[0-9A-F]{3} [0-9A-F]{6} \\(v01 CORRAL CORRALVM 00000001 CRRL 00000001\\)")
                    .containsPattern("ACPI: FACP 0x0+E0[0-9A-F]{3} 000114 \\(v06 CORRAL")
                    .containsPattern("ACPI: DSDT 0x0+E0[0-9A-F]{3} ")
                    .containsPattern("ACPI: FACS 0x0+E0[0-9A-F]{3} 000040")
                    .contains("ACPI: PM-Timer IO Port: 0x608")
                    .contains("ACPI: Interpreter enabled")
                    .contains("ACPI: PM: (supports S0 S5)")
                    // PMIO, COM1, PS2K, RTC and the ECAM's reservation (PCI0 is the PCI root driver's, not PnP's).
                    .contains("pnp: PnP ACPI: found 5 devices")
                    .contains("ACPI: PCI Root Bridge [PCI0] (domain 0000 [bus 00])")
                    .contains("ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A")
                    .contains("i8042: PNP: PS/2 Controller [PNP0303:PS2K] at 0x60,0x64 irq 1")
                    .contains("clocksource: acpi_pm: mask: 0xffffff")
                    .contains("ACPI: PM: Preparing to enter system sleep state S5")
                    .doesNotContain("ACPI Error").doesNotContain("ACPI BIOS Error").doesNotContain("ACPI Warning")
                    .doesNotContain("ACPI Exception").doesNotContain("ACPI: Unable").doesNotContain("acpi=off");
            assertThat(lastWrite.get()).as("SLP_TYP 5 with SLP_EN to PM1a_CNT").isEqualTo(new Vcpu.Exit.PortIo(false, 0x604, 2, 0x3401));
        }
    }

    @Test
    void aPowerButtonPressFromTheHostShutsTheShellGuestDownCleanly() throws Exception {
        try (var vm = boot(CMDLINE)) {
            long end = System.nanoTime() + BOOT.toNanos();
            // The init starts acpid and waits until it listens before the shell, so the prompt means the button works.
            while (!output().contains("corral:/# ")) {
                assertThat(vm.state()).as(output()).isEqualTo(VirtualMachine.State.RUNNING);
                assertThat(System.nanoTime()).as("waiting for the shell; console: %s", output()).isLessThan(end);
                Thread.sleep(50);
            }
            // The init loads button.ko for the shell (the power button driver is a module in Debian's kernel).
            assertThat(output()).contains("ACPI: button: Power Button [PWRF]").doesNotContain("acpid is not listening");
            // And the virtio modules: the shell has the entropy source the VM's virtio-rng gives it.
            String ask = "echo hwrng=$(cat /sys/class/misc/hw_random/rng_current) at $(ls /dev/hwrng)\n";
            vm.sendConsoleInput(ask.getBytes(StandardCharsets.US_ASCII));
            while (!output().contains("hwrng=virtio_rng.0 at /dev/hwrng")) {
                assertThat(vm.state()).as(output()).isEqualTo(VirtualMachine.State.RUNNING);
                assertThat(System.nanoTime()).as("waiting for the shell's answer; console: %s", output()).isLessThan(end);
                Thread.sleep(50);
            }
            vm.requestShutdown();
            assertThat(vm.awaitFinished(Duration.ofSeconds(60))).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).as(output()).contains(new VirtualMachine.Outcome.PoweredOff(0));
            // busybox init's later lines ("Sent SIGKILL", "Requesting system poweroff") go through the tty's buffer and
            // may not have drained when the kernel powers off; the kernel's own lines are written synchronously.
            String shutdown = output().substring(output().indexOf("corral:/# "));
            assertThat(shutdown).containsSubsequence("The system is going down NOW!", "ACPI: PM: Preparing to enter system sleep state S5",
                    "reboot: Power down");
            assertThat(lastWrite.get()).isEqualTo(new Vcpu.Exit.PortIo(false, 0x604, 2, 0x3401));
        }
    }

    @Test
    void aRebootResetsThroughTheFadtResetRegister() throws Exception {
        try (var vm = boot(CMDLINE + " corral.init=reboot")) {
            assertThat(vm.awaitFinished(BOOT)).as("console: %s", output()).isTrue();
            assertThat(vm.outcome()).as(output()).contains(new VirtualMachine.Outcome.Reset());
            assertThat(output()).contains("reboot: Restarting system");
            // Linux's default order tries ACPI first; had the register not worked, it would have gone on to the i8042.
            assertThat(lastWrite.get()).isEqualTo(new Vcpu.Exit.PortIo(false, 0x610, 1, 0x01));
        }
    }
}
