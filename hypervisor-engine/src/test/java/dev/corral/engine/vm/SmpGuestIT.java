package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.SmpImage;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The smp guest: the bootstrap processor starts the others with INIT/SIPI through its local APIC, and each prints its
 * APIC id. Under KVM the in-kernel local APICs deliver the IPIs; on the software CPU the engine's own local APICs do,
 * and each application processor runs its real-mode start-up code on the software CPU. Every vCPU runs on its own
 * thread, and both backends print the same console.
 */
@Timeout(180)
class SmpGuestIT {

    @ParameterizedTest(name = "{0} with {1} vCPUs")
    @CsvSource({"EMULATED, 1", "EMULATED, 2", "EMULATED, 4", "KVM, 1", "KVM, 2", "KVM, 4"})
    void everyVcpuComesUpAndPrintsItsApicIdInOrder(TestBackend backend, int cpus) throws Exception {
        var console = ConsoleBuffer.of(1 << 16);
        var config = new VmConfig("smp", cpus, 32L << 20, SmpImage.bytes(), null, "cpus=" + cpus, true);
        try (var vm = backend.create(config, console, new VirtualMachine.Listener() {
            @Override
            public void started() {
            }

            @Override
            public void finished(VirtualMachine.Outcome outcome) {
            }
        })) {
            assertThat(vm.runningVcpuCount()).isEqualTo(cpus);
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(120))).isTrue();
            assertThat(new String(console.readFrom(0).bytes(), StandardCharsets.US_ASCII)).isEqualTo(SmpImage.expectedConsole(cpus));
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
        }
    }
}
