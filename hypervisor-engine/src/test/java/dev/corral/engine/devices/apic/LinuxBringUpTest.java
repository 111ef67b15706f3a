package dev.corral.engine.devices.apic;

import static dev.corral.engine.devices.apic.LocalApic.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.devices.legacy.I8254;
import dev.corral.engine.devices.legacy.I8259Pair;
import dev.corral.engine.machine.InterruptLine;
import org.junit.jupiter.api.Test;

/**
 * The register traffic of Linux 6.1 bringing up a two-CPU PC in xAPIC mode (arch/x86/kernel/apic/apic.c,
 * io_apic.c, smpboot.c), against the real PIT and PICs wired as the machine will wire them: the PIT's IRQ 0
 * through the PICs and LINT0 first, then through I/O APIC pin 2 once the I/O APIC takes over; the TSC-deadline
 * timer; INIT-SIPI-SIPI for the AP; IPIs; the ACPI SCI as a level-triggered pin.
 */
class LinuxBringUpTest {

    private static final int PIT_HZ_250 = 4773; // 1193182 / 250
    private static final long PIT_PERIOD = 4_000_000;

    private final ApicRig rig = new ApicRig(2);
    private final I8259Pair pic = new I8259Pair(() -> rig.wakes[0]++);
    private final IoApic ioApic = new IoApic(0, rig.bus);
    private final IsaInterruptRouter irqs = new IsaInterruptRouter(pic, ioApic);
    private final I8254 pit = new I8254(new InterruptLine(irqs, 0), () -> rig.now);
    private final LocalApic bsp = rig.cpu(0), ap = rig.cpu(1);

    LinuxBringUpTest() {
        rig.lint0 = pic::hasInterrupt;
    }

    /** Runs the BSP's interrupt-acknowledge as its vCPU loop will: through the APIC, and to the PIC for an ExtINT. */
    private int interrupt(LocalApic cpu) {
        if (!cpu.hasInterrupt()) {
            return -1;
        }
        return switch (cpu.acknowledge()) {
            case ApicInterrupt.Vector v -> v.vector();
            case ApicInterrupt.ExtInt e -> pic.acknowledge();
        };
    }

    private void pitTick() {
        rig.now = pit.nextDeadlineNanos();
        pit.advanceTo(rig.now);
    }

    private void ioApicRoute(int pin, long high, long low) {
        ioApic.write(IoApic.IOREGSEL, 4, IoApic.IOREDTBL + 2 * pin + 1);
        ioApic.write(IoApic.IOWIN, 4, high);
        ioApic.write(IoApic.IOREGSEL, 4, IoApic.IOREDTBL + 2 * pin);
        ioApic.write(IoApic.IOWIN, 4, low);
    }

    /** setup_local_APIC and end_local_APIC_setup, as 6.1 runs them on each CPU. */
    private void setupLocalApic(LocalApic cpu, int index) {
        cpu.write(SVR, 4, cpu.read(SVR, 4) & ~0x100); // soft-disable before initialising
        cpu.write(DFR, 4, 0xffffffffL); // flat model; one logical bit per CPU
        cpu.write(LDR, 4, cpu.read(LDR, 4) & 0x00ffffffL | 1L << 24 + index);
        cpu.write(TPR, 4, cpu.read(TPR, 4) & ~0xffL | 0x10);
        for (int i = 7; i >= 0; i--) { // apic_pending_intr_clear
            for (long isr = cpu.read(ISR + 16 * i, 4); isr != 0; isr &= isr - 1) {
                cpu.write(EOI, 4, 0);
            }
        }
        cpu.write(SVR, 4, cpu.read(SVR, 4) & ~0xffL | 0x100 | 0xff);
        boolean lint0Masked = (cpu.read(LVT_LINT0, 4) & 0x10000) != 0;
        cpu.write(LVT_LINT0, 4, index == 0 && !lint0Masked ? 0x700 : 0x10700);
        cpu.write(LVT_LINT1, 4, index == 0 ? 0x400 : 0x10400);
        cpu.write(ESR, 4, 0); // lapic_setup_esr
        cpu.read(ESR, 4);
        cpu.write(LVT_ERROR, 4, 0xfe);
        cpu.write(ESR, 4, 0);
        assertThat(cpu.read(ESR, 4)).isZero();
    }

    @Test
    void linux61BringsUpTheTimerTheIoApicAndASecondCpu() {
        // Firmware left virtual-wire mode; early boot programs the PICs (vectors 0x30/0x38) and the PIT at 250 Hz.
        bsp.enterVirtualWireMode();
        int[][] icws = {{0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01}, {0xa0, 0x11}, {0xa1, 0x38}, {0xa1, 0x02},
                {0xa1, 0x01}, {0x21, 0xfa}, {0xa1, 0xff}};
        for (int[] w : icws) {
            (w[0] < 0xa0 ? pic.master() : pic.slave()).writeByte(w[0] & 1, w[1]);
        }
        pit.writeByte(3, 0x34);
        pit.writeByte(0, PIT_HZ_250 & 0xff);
        pit.writeByte(0, PIT_HZ_250 >> 8);
        pitTick();
        assertThat(interrupt(bsp)).as("IRQ 0 through the PIC and LINT0").isEqualTo(0x30);
        pic.master().writeByte(0, 0x20);

        // apic_bsp_setup: setup_local_APIC's soft disable masks LINT0, so the PIC is heard no more.
        assertThat(bsp.read(VERSION, 4) >> 16 & 0xff).as("lapic_get_maxlvt").isEqualTo(5L);
        setupLocalApic(bsp, 0);
        assertThat(bsp.read(LVT_LINT0, 4)).isEqualTo(0x10700L);
        pitTick();
        assertThat(interrupt(bsp)).isEqualTo(-1);

        // setup_IO_APIC and check_timer: the PICs masked, IRQ 0 on pin 2 (the MADT's override), edge, to CPU 0.
        assertThat(readIoApic(IoApic.IOAPICVER) >> 16 & 0xff).as("entries - 1").isEqualTo(23L);
        pic.master().writeByte(1, 0xff);
        ioApicRoute(IsaInterruptRouter.ioApicPin(0), 1L << 24, 0x800 | 0x30);
        for (int tick = 0; tick < 5; tick++) {
            pitTick();
            assertThat(interrupt(bsp)).as("timer_irq_works, tick %d", tick).isEqualTo(0x30);
            bsp.write(EOI, 4, 0);
        }

        // The local APIC timer in TSC-deadline mode takes over; the PIT goes quiet.
        bsp.write(LVT_TIMER, 4, 2 << 17 | 0xec);
        long tsc = rig.tsc.now();
        bsp.writeMsr(MSR_TSC_DEADLINE, tsc + 1_000_000);
        rig.now = bsp.nextDeadlineNanos();
        bsp.advanceTo(rig.now);
        assertThat(interrupt(bsp)).isEqualTo(0xec);
        bsp.write(EOI, 4, 0);

        // wakeup_secondary_cpu_via_init: INIT assert, INIT de-assert, two STARTUPs, the ESR clean after each.
        bsp.write(ESR, 4, 0);
        bsp.read(ESR, 4);
        sendIcr(bsp, 1, 0xc500);
        sendIcr(bsp, 1, 0x8500);
        assertThat(ap.pollSignal(true)).isEqualTo(new ApicSignal.Init());
        for (int start = 0; start < 2; start++) {
            bsp.write(ESR, 4, 0);
            sendIcr(bsp, 1, 0x600 | 0x9a);
            assertThat(bsp.read(ICR, 4) & 0x1000).as("safe_apic_wait_icr_idle").isZero();
            bsp.write(ESR, 4, 0);
            assertThat(bsp.read(ESR, 4) & 0xef).as("accept_status").isZero();
            // The AP's loop takes each one; a started AP ignores the second.
            assertThat(ap.pollSignal(true)).isEqualTo(new ApicSignal.Startup(0x9a));
        }
        assertThat(ap.pollSignal(true)).isNull();
        setupLocalApic(ap, 1);

        // IPIs: a reschedule to the AP by its logical bit, a call-function to all but self.
        sendIcr(bsp, 0b10, 0x800 | 0xfd);
        assertThat(interrupt(ap)).isEqualTo(0xfd);
        ap.write(EOI, 4, 0);
        sendIcr(ap, 0, 0xc0000 | 0xfb);
        assertThat(interrupt(bsp)).isEqualTo(0xfb);
        bsp.write(EOI, 4, 0);
        assertThat(interrupt(ap)).isEqualTo(-1);

        // The ACPI SCI: GSI 9, level, active high, to the AP; re-sent after the EOI while the PM1 status stays set.
        ioApicRoute(9, 0b10L << 24, 0x800 | 0x8000 | 0x39);
        irqs.setLevel(9, true);
        assertThat(interrupt(ap)).isEqualTo(0x39);
        ap.write(EOI, 4, 0);
        assertThat(interrupt(ap)).isEqualTo(0x39);
        irqs.setLevel(9, false);
        ap.write(EOI, 4, 0);
        assertThat(interrupt(ap)).isEqualTo(-1);
        assertThat(bsp.read(ESR, 4) | ap.read(ESR, 4)).isZero();
    }

    private void sendIcr(LocalApic from, int destination, int low) {
        from.write(ICR_HIGH, 4, (long) destination << 24);
        from.write(ICR, 4, low);
    }

    private long readIoApic(int index) {
        ioApic.write(IoApic.IOREGSEL, 4, index);
        return ioApic.read(IoApic.IOWIN, 4);
    }
}
