package dev.corral.engine.devices.legacy;

import java.time.Clock;
import java.util.Objects;
import java.util.Optional;

import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.PortIoBus;

/**
 * One VM's legacy PC devices, at the ports and IRQs every x86 guest assumes: COM1 at 0x3f8 on IRQ 4, the
 * i8042 at 0x60/0x64, the CMOS RTC at 0x70, and, for test guests only, the debug-exit port at 0x501.
 */
public final class LegacyDevices {

    /**
     * What the devices are connected to. {@code reset} and {@code exit} run on a vCPU thread and should only ask
     * the VM to stop (reasons {@code guest-reset} and the guest's exit code). {@code debugExit} lets the guest
     * end the VM with a status of its choosing: for test guests, not for tenants' VMs.
     */
    public record Config(ConsoleSink console, Clock clock, Runnable reset, DebugExit.ExitHandler exit, boolean debugExit) {
        public Config {
            Objects.requireNonNull(console, "console");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(reset, "reset");
            Objects.requireNonNull(exit, "exit");
        }
    }

    private final Uart16550 com1;
    private final I8042 i8042;
    private final CmosRtc rtc;
    private final DebugExit debugExit;

    private LegacyDevices(Uart16550 com1, I8042 i8042, CmosRtc rtc, DebugExit debugExit) {
        this.com1 = com1;
        this.i8042 = i8042;
        this.rtc = rtc;
        this.debugExit = debugExit;
    }

    /** Creates the devices and registers them on {@code bus}; their interrupts go to {@code interrupts}. */
    public static LegacyDevices attach(PortIoBus bus, InterruptController interrupts, Config config) {
        var com1 = new Uart16550(new InterruptLine(interrupts, Uart16550.COM1_IRQ), config.console());
        var i8042 = new I8042(config.reset());
        var rtc = new CmosRtc(config.clock());
        var debugExit = config.debugExit() ? new DebugExit(config.exit()) : null;
        bus.register(Uart16550.COM1_BASE, Uart16550.REGISTER_COUNT, "com1", com1);
        bus.register(I8042.DATA_PORT, 1, "i8042-data", i8042.dataPort());
        bus.register(I8042.COMMAND_PORT, 1, "i8042-command", i8042.commandPort());
        bus.register(CmosRtc.BASE, CmosRtc.LENGTH, "rtc", rtc);
        if (debugExit != null) {
            bus.register(DebugExit.BASE, DebugExit.LENGTH, "debug-exit", debugExit);
        }
        return new LegacyDevices(com1, i8042, rtc, debugExit);
    }

    /** The serial console: the VM feeds host input to it. */
    public Uart16550 com1() {
        return com1;
    }

    public I8042 i8042() {
        return i8042;
    }

    public CmosRtc rtc() {
        return rtc;
    }

    public Optional<DebugExit> debugExit() {
        return Optional.ofNullable(debugExit);
    }
}
