package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.vm.Vcpu.Exit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Console input through the VM, read by a scripted CPU at COM1's ports (a real guest reads it in the e2e tests). */
@Timeout(30)
class VirtualMachineConsoleInputTest {

    private static final int COM1 = 0x3f8, RBR = COM1, MCR = COM1 + 4, LSR = COM1 + 5;
    private static final int MCR_DTR_RTS_OUT2 = 0x0b, LSR_DR = 0x01;

    @Test
    void inputSentBeforeTheGuestOpensItsConsoleWaitsAndArrivesInOrder() throws InterruptedException {
        var cpu = new ScriptedVcpu()
                .then(new Exit.PortIo(true, LSR, 1, 0))               // nothing yet: RTS is not asserted
                .then(new Exit.PortIo(false, MCR, 1, MCR_DTR_RTS_OUT2)) // the guest opens the port
                .then(new Exit.PortIo(true, RBR, 1, 0))
                .then(new Exit.PortIo(true, RBR, 1, 0))
                .then(new Exit.PortIo(true, LSR, 1, 0))
                .then(new Exit.PortIo(false, 0x501, 1, 0));
        var config = new VmConfig("input", 1, 64L << 20, TickerImage.bytes(), null, "", true);
        try (var vm = VirtualMachine.create(config, ConsoleBuffer.of(64), new VirtualMachine.Listener() {
            @Override
            public void started() {
            }

            @Override
            public void finished(VirtualMachine.Outcome outcome) {
            }
        }, (memory, mmio, entry) -> cpu)) {
            assertThat(vm.sendConsoleInput("hi".getBytes())).isEqualTo(2);
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(10))).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
        }
        assertThat(cpu.portInValues.get(0) & LSR_DR).isZero();
        assertThat(cpu.portInValues.subList(1, 3)).containsExactly((int) 'h', (int) 'i');
        assertThat(cpu.portInValues.get(3) & LSR_DR).isZero();
    }
}
