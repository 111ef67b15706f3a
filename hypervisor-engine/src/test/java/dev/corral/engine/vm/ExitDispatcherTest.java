package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;

import dev.corral.engine.devices.legacy.Chipset;
import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.devices.legacy.LegacyDevices;
import dev.corral.engine.machine.MmioBus;
import dev.corral.engine.machine.PortIoBus;
import dev.corral.engine.vm.ExitDispatcher.Next;
import dev.corral.engine.vm.Vcpu.Exit;
import org.junit.jupiter.api.Test;

class ExitDispatcherTest {

    private final PortIoBus ports = new PortIoBus();
    private final PowerRequest power = new PowerRequest();
    private final ScriptedVcpu cpu = new ScriptedVcpu();
    private final ExitDispatcher dispatcher = new ExitDispatcher(ports, new MmioBus(), power);
    private final ConsoleBuffer console = ConsoleBuffer.of(64);

    ExitDispatcherTest() {
        var chipset = Chipset.attach(ports, System::nanoTime, () -> { });
        LegacyDevices.attach(ports, chipset.pic(), new LegacyDevices.Config(console, Clock.systemUTC(), power::reset, power::debugExit, true));
    }

    @Test
    void portInFromAnUnclaimedPortReadsAllOnesAndIsCountedNotFatal() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(true, 0x2f8, 1, 0), cpu)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(dispatcher.dispatch(new Exit.PortIo(true, 0xcfc, 4, 0), cpu)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(cpu.portInValues).containsExactly(0xff, 0xffffffff);
        assertThat(ports.counters().unclaimedReadsAt(0x2f8)).isEqualTo(1);
    }

    @Test
    void portInCompletesWithTheDevicesRegister() {
        dispatcher.dispatch(new Exit.PortIo(false, 0x21, 1, 0xfe), cpu); // PIC IMR
        dispatcher.dispatch(new Exit.PortIo(true, 0x21, 1, 0), cpu);
        dispatcher.dispatch(new Exit.PortIo(true, 0x3fd, 1, 0), cpu);   // UART LSR: THRE and TEMT
        assertThat(cpu.portInValues).containsExactly(0xfe, 0x60);
    }

    @Test
    void portOutReachesTheDevice() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x3f8, 1, 'k'), cpu)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(console.readFrom(0).bytes()).containsExactly((byte) 'k');
    }

    @Test
    void aGuestWritingZeroToDebugExitPowersOffWithCodeZero() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x501, 1, 0), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.PoweredOff(0)));
    }

    @Test
    void theFirstPowerRequestWins() {
        dispatcher.dispatch(new Exit.PortIo(false, 0x501, 1, 3), cpu);
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x64, 1, 0xfe), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.PoweredOff(3)));
    }

    @Test
    void anI8042ResetPowersOffWithCodeZero() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x64, 1, 0xfe), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.PoweredOff(0)));
    }

    @Test
    void aTripleFaultIsTheGuestsCrash() {
        assertThat(dispatcher.dispatch(new Exit.Shutdown("triple fault: #UD with an empty IDT"), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.GuestCrashed("triple fault: #UD with an empty IDT")));
    }

    @Test
    void haltSleepsAndASpentBudgetContinues() {
        assertThat(dispatcher.dispatch(new Exit.Halt(), cpu)).isEqualTo(ExitDispatcher.SLEEP);
        assertThat(dispatcher.dispatch(new Exit.BudgetSpent(), cpu)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(cpu.portInValues).isEmpty();
    }
}
