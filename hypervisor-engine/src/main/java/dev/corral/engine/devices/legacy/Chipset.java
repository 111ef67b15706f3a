package dev.corral.engine.devices.legacy;

import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

import dev.corral.engine.machine.InterruptController;
import dev.corral.engine.machine.InterruptLine;
import dev.corral.engine.machine.PortIoBus;

/**
 * The PC/AT motherboard's timing and interrupt chips, for a VM whose vCPUs run in software (with KVM the kernel's
 * irqchip and PIT do this): the two cascaded 8259As at 0x20 and 0xa0 with their edge/level control register at
 * 0x4d0-0x4d1, the 8254 at 0x40-0x43 on IRQ 0, system control port B at 0x61, and the POST code port 0x80. The PIC
 * pair is the {@link dev.corral.engine.machine.InterruptController} to attach {@link LegacyDevices} to.
 */
public final class Chipset {

    private final I8259Pair pic;
    private final I8254 pit;
    private final PostCodePort postCode;
    private final InterruptController isaLines;

    private Chipset(I8259Pair pic, I8254 pit, PostCodePort postCode, InterruptController isaLines) {
        this.pic = pic;
        this.pit = pit;
        this.postCode = postCode;
        this.isaLines = isaLines;
    }

    /**
     * Creates the chips and registers them on {@code bus}. {@code nanoClock} is monotonic (System::nanoTime);
     * {@code wake} runs when an interrupt becomes pending, and must not block (see {@link I8259Pair}).
     */
    public static Chipset attach(PortIoBus bus, LongSupplier nanoClock, Runnable wake) {
        return attach(bus, nanoClock, wake, UnaryOperator.identity());
    }

    /**
     * As {@link #attach(PortIoBus, LongSupplier, Runnable)}, on a board where the ISA interrupt lines go somewhere
     * besides the PICs too (an IOAPIC): {@code isaLines} makes, from the PIC pair, what the lines drive, and the
     * PIT's IRQ 0 is wired to that. Devices attach their lines to {@link #isaLines()}.
     */
    public static Chipset attach(PortIoBus bus, LongSupplier nanoClock, Runnable wake,
            UnaryOperator<InterruptController> isaLines) {
        Objects.requireNonNull(nanoClock, "nanoClock");
        var pic = new I8259Pair(wake);
        var lines = Objects.requireNonNull(isaLines.apply(pic), "isaLines");
        var pit = new I8254(new InterruptLine(lines, I8254.IRQ), nanoClock);
        var postCode = new PostCodePort();
        bus.register(I8259Pair.MASTER_BASE, I8259.LENGTH, "pic-master", pic.master());
        bus.register(I8254.BASE, I8254.LENGTH, "pit", pit);
        bus.register(SystemControlPort.PORT, 1, "system-control", new SystemControlPort(pit, nanoClock));
        bus.register(PostCodePort.PORT, 1, "post-code", postCode);
        bus.register(I8259Pair.SLAVE_BASE, I8259.LENGTH, "pic-slave", pic.slave());
        bus.register(I8259Pair.ELCR_BASE, I8259Pair.ELCR_LENGTH, "elcr", pic.elcrPorts());
        return new Chipset(pic, pit, postCode, lines);
    }

    /** Where the board's ISA interrupt lines go: the PIC pair, or the PICs and an IOAPIC together. */
    public InterruptController isaLines() {
        return isaLines;
    }

    public I8259Pair pic() {
        return pic;
    }

    public I8254 pit() {
        return pit;
    }

    public PostCodePort postCode() {
        return postCode;
    }
}
