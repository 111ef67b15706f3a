package dev.corral.engine.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.corral.engine.devices.legacy.ConsoleBuffer;
import dev.corral.engine.guests.TickerImage;
import dev.corral.engine.vm.Vcpu.Exit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The VM's life with the real machine and kernel loading, and a scripted CPU (the real one: VirtualMachineTickerIT). */
@Timeout(30)
class VirtualMachineTest {

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final VirtualMachine.Listener listener = new VirtualMachine.Listener() {
        @Override
        public void started() {
            events.add("started on " + Thread.currentThread().getName());
        }

        @Override
        public void finished(VirtualMachine.Outcome outcome) {
            events.add("finished " + outcome);
        }
    };

    private static VmConfig config(byte[] kernel) {
        return new VmConfig("t1", 1, 64L << 20, kernel, null, "ticks=1", true);
    }

    private VirtualMachine create(ScriptedVcpu cpu) {
        return VirtualMachine.create(config(TickerImage.bytes()), ConsoleBuffer.of(1024), listener, (memory, mmio, entry) -> cpu);
    }

    @Test
    void aGuestPoweringOffEndsTheVmOnceWithItsCode() throws InterruptedException {
        try (var vm = create(new ScriptedVcpu().then(new Exit.BudgetSpent()).then(new Exit.PortIo(false, 0x501, 1, 7)))) {
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.CREATED);
            assertThat(vm.outcome()).isEmpty();
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(5))).isTrue();
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.FINISHED);
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(7));
            assertThat(events).containsExactly("started on vcpu0-t1", "finished PoweredOff[code=7]");
            assertThatThrownBy(vm::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
        }
    }

    @Test
    void aShutdownRequestPressesThePowerButtonAndAGuestThatListensPowersOffThroughS5() throws InterruptedException {
        var cpu = new ScriptedVcpu();
        // The guest: both 8259As programmed (vectors 0x20 and 0x28, the slave on IR2), IRQ 9 unmasked, PWRBTN_EN set,
        // then HLT. Its SCI handler reads PM1_STS, clears PWRBTN_STS and enters S5.
        for (int[] io : new int[][] {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x28}, {0xa1, 0x02},
                {0xa1, 0x01}, {0x21, 0xfb}, {0xa1, 0xfd}}) {
            cpu.then(new Exit.PortIo(false, io[0], 1, io[1]));
        }
        cpu.then(new Exit.PortIo(false, 0x602, 2, 0x100)).then(new Exit.Halt())
                .then(new Exit.PortIo(true, 0x600, 2, 0))
                .then(new Exit.PortIo(false, 0x600, 2, 0x100))
                .then(new Exit.PortIo(false, 0x604, 2, 0x2000 | (5 << 10) | 1));
        try (var vm = create(cpu)) {
            vm.start();
            while (cpu.runs < 12) { // ten PIC writes, PM1_EN, HLT
                Thread.sleep(1);
            }
            Thread.sleep(20);
            assertThat(vm.state()).as("halted, waiting for an interrupt").isEqualTo(VirtualMachine.State.RUNNING);
            assertThat(cpu.injected).isEmpty();
            vm.requestShutdown();
            assertThat(vm.awaitFinished(Duration.ofSeconds(5))).isTrue();
            assertThat(cpu.injected).as("the SCI: IRQ 9, the slave's IR1").containsExactly(0x29);
            assertThat(cpu.portInValues).as("PM1_STS: PWRBTN_STS").containsExactly(0x100);
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.PoweredOff(0));
        }
    }

    @Test
    void aShutdownRequestToAVmNeverStartedStopsIt() throws InterruptedException {
        try (var vm = create(new ScriptedVcpu())) {
            vm.requestShutdown();
            assertThat(vm.awaitFinished(Duration.ZERO)).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
        }
    }

    @Test
    void aGuestWritingTheAcpiResetRegisterEndsTheVmAsAReset() throws InterruptedException {
        try (var vm = create(new ScriptedVcpu().then(new Exit.PortIo(false, 0x610, 1, 0x01)))) {
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(5))).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.Reset());
        }
    }

    @Test
    void aFailingCpuIsAnEngineFailureNeverAnExceptionOutOfTheVm() throws InterruptedException {
        var cpu = new ScriptedVcpu().then(() -> {
            throw new IllegalStateException("decoder bug");
        });
        try (var vm = create(cpu)) {
            vm.start();
            assertThat(vm.awaitFinished(Duration.ofSeconds(5))).isTrue();
            assertThat(vm.outcome()).hasValueSatisfying(o -> assertThat(o).isInstanceOf(VirtualMachine.Outcome.EngineFailed.class)
                    .asString().contains("decoder bug"));
            assertThat(events).hasSize(2);
        }
    }

    @Test
    void aHaltedVmStopsPromptlyWhenAsked() throws InterruptedException {
        var cpu = new ScriptedVcpu().then(new Exit.Halt());
        cpu.interruptsEnabled = false; // halted for good: only a stop request ends it
        try (var vm = create(cpu)) {
            vm.start();
            Thread.sleep(50);
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.RUNNING);
            long asked = System.nanoTime();
            vm.requestStop();
            assertThat(vm.awaitFinished(Duration.ofSeconds(5))).isTrue();
            assertThat(System.nanoTime() - asked).isLessThan(50_000_000L);
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
            vm.requestStop(); // a second request changes nothing
            assertThat(events).containsExactly("started on vcpu0-t1", "finished StopRequested[]");
        }
    }

    @Test
    void aVmStoppedBeforeItStartedFinishesWithoutStarting() throws InterruptedException {
        try (var vm = create(new ScriptedVcpu())) {
            vm.requestStop();
            assertThat(vm.awaitFinished(Duration.ZERO)).isTrue();
            assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
            assertThat(events).containsExactly("finished StopRequested[]");
            assertThatThrownBy(vm::start).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void closingARunningVmStopsItAndWaitsForItsThread() throws InterruptedException {
        var vm = create(new ScriptedVcpu()); // BudgetSpent forever: a busy guest
        vm.start();
        vm.close();
        assertThat(vm.state()).isEqualTo(VirtualMachine.State.FINISHED);
        assertThat(vm.outcome()).contains(new VirtualMachine.Outcome.StopRequested());
        vm.close();
    }

    @Test
    void aKernelThatIsNotABzImageIsAVmExceptionWithTheLoadersReason() {
        byte[] garbage = "this is not a kernel, just some bytes that go on for a while".repeat(20).getBytes();
        assertThatThrownBy(() -> VirtualMachine.create(config(garbage), ConsoleBuffer.of(16), listener))
                .isInstanceOf(VmException.class)
                .hasMessageContaining("VM t1: cannot boot its kernel")
                .hasMessageContaining("boot flag")
                .hasCauseInstanceOf(dev.corral.engine.boot.KernelImageException.class);
        assertThat(events).isEmpty();
    }

    @Test
    void badConfigurationsAreRefusedWithTheirReason() {
        byte[] k = {1};
        assertThatThrownBy(() -> new VmConfig(" ", 1, 64L << 20, k, null, "", false)).isInstanceOf(VmException.class).hasMessage("a VM needs a name");
        assertThatThrownBy(() -> new VmConfig("v", 0, 64L << 20, k, null, "", false)).hasMessageContaining("0 vCPUs");
        assertThatThrownBy(() -> new VmConfig("v", 1, (64L << 20) + 1, k, null, "", false)).hasMessageContaining("multiple of 4 KiB");
        assertThatThrownBy(() -> new VmConfig("v", 1, 1L << 20, k, null, "", false)).hasMessageContaining("at least 4 MiB");
        assertThatThrownBy(() -> new VmConfig("v", 1, 64L << 20, new byte[0], null, "", false)).hasMessageContaining("no kernel");
        assertThat(new VmConfig("v", 4, 64L << 20, k, null, null, false).cmdline()).isEmpty();
    }

    @Test
    void aKernelTooBigForTheMemoryIsAVmException() {
        var small = new VmConfig("t1", 1, 4L << 20, TickerImage.bytes(), new byte[3 << 20], "", false);
        assertThatThrownBy(() -> VirtualMachine.create(small, ConsoleBuffer.of(16), listener))
                .isInstanceOf(VmException.class).hasMessageContaining("initrd");
    }

    @Test
    void pauseTakesTheVcpuOutOfGuestCodeUntilResumeAndAStopStillEndsIt() throws Exception {
        var cpu = new ScriptedVcpu(); // BudgetSpent forever: a busy guest
        try (var vm = create(cpu)) {
            assertThatThrownBy(vm::pause).isInstanceOf(IllegalStateException.class).hasMessageContaining("has not been started");
            vm.start();
            vm.pause();
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.PAUSED);
            int runs = cpu.runs;
            Thread.sleep(50);
            assertThat(cpu.runs).isEqualTo(runs);
            assertThat(cpu.kicks).as("pausing kicks the vCPU").isPositive();
            vm.resume();
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.RUNNING);
            while (cpu.runs == runs) {
                Thread.sleep(1);
            }
            vm.pause();
            assertThat(vm.stop(Duration.ofSeconds(1))).isEqualTo(new VirtualMachine.Outcome.StopRequested());
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.FINISHED);
            vm.pause(); // nothing to pause
            vm.resume();
            assertThat(vm.state()).isEqualTo(VirtualMachine.State.FINISHED);
        }
    }

    @Test
    void aVmOnTheScriptedCpuIsTheSoftwareCpusMachineWithOneVcpu() {
        try (var vm = VirtualMachine.create(new VmConfig("t1", 4, 64L << 20, TickerImage.bytes(), null, "", true), ConsoleBuffer.of(16),
                listener, (memory, mmio, entry) -> new ScriptedVcpu())) {
            assertThat(vm.accelerator()).isEqualTo(VmAccelerator.EMULATED);
            assertThat(vm.runningVcpuCount()).as("the software CPU has no application processors yet").isEqualTo(1);
        }
    }
}
