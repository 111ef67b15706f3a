package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.LinuxGuest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Debian's cloud kernel on the software CPU's own machine, exactly as the node agent builds it for a tenant's VM: the
 * stock command line, one and two vCPUs, the local APICs and IOAPIC found through the MADT, the application processor
 * started with INIT-SIPI-SIPI, the CPU recognised, the TSC trusted. About 25 s of the host's cores per boot.
 */
@Timeout(300)
class LinuxSmpIT {

    @ParameterizedTest(name = "{0} vCPUs")
    @ValueSource(ints = {1, 2})
    void theDebianKernelBringsUpEveryCpuWithItsStockCommandLine(int vcpus) throws Exception {
        var console = ConsoleBuffer.of(1 << 20);
        var config = new VmConfig("linux-smp", vcpus, 256L << 20, LinuxGuest.kernel(), LinuxGuest.initramfs(),
                "console=ttyS0 corral.init=poweroff", false);
        try (var vm = VirtualMachine.create(config, console, new VirtualMachine.Listener() {
            @Override
            public void started() {
            }

            @Override
            public void finished(VirtualMachine.Outcome outcome) {
            }
        })) {
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(240))).as("the guest powered off in time").isTrue();
            String output = new String(console.readFrom(0).bytes(), StandardCharsets.UTF_8);
            assertThat(vm.outcome()).as(output).contains(new VirtualMachine.Outcome.PoweredOff(0));
            assertThat(vm.accelerator()).isEqualTo(VmAccelerator.EMULATED);
            assertThat(output)
                    .contains("smpboot: CPU0: Intel Corral software x86-64 interpreter (family: 0x6, model: 0x1c, stepping: 0xa)")
                    .contains("IOAPIC[0]: apic_id 0, version 32, address 0xfec00000, GSI 0-23")
                    .contains("ACPI: Using ACPI (MADT) for SMP configuration information")
                    .contains("TSC deadline timer available")
                    .contains(vcpus == 1 ? "smp: Brought up 1 node, 1 CPU" : "smp: Brought up 1 node, " + vcpus + " CPUs")
                    .contains("ACPI: Using IOAPIC for interrupt routing")
                    .contains("clocksource: Switched to clocksource tsc")
                    .containsPattern("corral linux: init after [0-9.]+ s on " + vcpus + " CPUs")
                    .contains("ACPI: PM: Preparing to enter system sleep state S5")
                    .doesNotContain("unchecked MSR").doesNotContain("Call Trace").doesNotContain("WARNING:")
                    .doesNotContain("BUG:").doesNotContain("unstable").doesNotContain("CPU: vendor_id")
                    .doesNotContain("APIC calibration not consistent").doesNotContain("Kernel panic");
        }
    }
}
