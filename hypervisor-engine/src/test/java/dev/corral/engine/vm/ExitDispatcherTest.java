package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;

import dev.corral.engine.devices.acpi.FixedHardware;
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
        FixedHardware.attach(ports, chipset.pic(), System::nanoTime, power::powerOff, power::reset);
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
    void anI8042ResetEndsTheVmAsAReset() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x64, 1, 0xfe), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.Reset()));
    }

    @Test
    void theAcpiResetRegisterEndsTheVmAsAReset() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x610, 1, 0x02), cpu)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x610, 1, 0x01), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.Reset()));
    }

    @Test
    void enteringAcpiS5PowersOffWithCodeZero() {
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x604, 2, (5 << 10) | 1), cpu)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(dispatcher.dispatch(new Exit.PortIo(false, 0x604, 2, 0x2000 | (5 << 10) | 1), cpu))
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

    @Test
    void anMmioReadOfAnUnclaimedAddressCompletesWithAllOnesAndAWriteIsDropped() {
        var mmio = new MmioBus();
        var kvmLike = new ScriptedVcpu();
        var d = new ExitDispatcher(ports, mmio, power);
        assertThat(d.dispatch(new Exit.Mmio(false, 0xfed00000L, 4, 0), kvmLike)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(d.dispatch(new Exit.Mmio(false, 0xfed00008L, 8, 0), kvmLike)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(kvmLike.mmioReadValues).containsExactly(0xffffffffL, -1L);
        assertThat(d.dispatch(new Exit.Mmio(true, 0xfed00000L, 4, 7), kvmLike)).isEqualTo(ExitDispatcher.CONTINUE);
        assertThat(mmio.counters().unclaimedReadsAt(0xfed00000L)).isEqualTo(1);
    }

    @Test
    void anMmioDeviceSeesItsOffsetAndAnswersTheRead() {
        var mmio = new MmioBus();
        var writes = new java.util.ArrayList<String>();
        mmio.register(0xd0000000L, 0x1000, "probe", new dev.corral.engine.machine.MmioDevice() {
            @Override
            public long read(long offset, int size) {
                return offset + size;
            }

            @Override
            public void write(long offset, int size, long value) {
                writes.add(offset + "/" + size + "=" + value);
            }
        });
        var d = new ExitDispatcher(ports, mmio, power);
        d.dispatch(new Exit.Mmio(false, 0xd0000010L, 2, 0), cpu);
        d.dispatch(new Exit.Mmio(true, 0xd0000020L, 8, 99), cpu);
        assertThat(cpu.mmioReadValues).containsExactly(0x12L);
        assertThat(writes).containsExactly("32/8=99");
    }

    @Test
    void aPlatformResetEndsTheVmAsAResetAndABackendFailureFailsIt() {
        assertThat(dispatcher.dispatch(new Exit.Reset(), cpu)).isEqualTo(new Next.Finish(new VirtualMachine.Outcome.Reset()));
        assertThat(new ExitDispatcher(ports, new MmioBus(), new PowerRequest()).dispatch(new Exit.Failed("KVM could not emulate"), cpu))
                .isEqualTo(new Next.Finish(new VirtualMachine.Outcome.EngineFailed("KVM could not emulate")));
    }
}
