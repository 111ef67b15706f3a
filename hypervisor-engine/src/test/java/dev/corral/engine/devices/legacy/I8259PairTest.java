package dev.corral.engine.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import dev.corral.engine.machine.PortIoBus;
import org.junit.jupiter.api.Test;

class I8259PairTest {

    private final AtomicInteger wakes = new AtomicInteger();
    private final I8259Pair pic = new I8259Pair(wakes::incrementAndGet);
    private final PortIoBus bus = new PortIoBus();

    I8259PairTest() {
        bus.register(0x20, 2, "pic-master", pic.master());
        bus.register(0xa0, 2, "pic-slave", pic.slave());
    }

    /** What Linux's init_8259A writes: edge triggered, cascaded, ICW4, vectors 0x20 and 0x28. */
    private void initLikeLinux(int masterMask, int slaveMask) {
        bus.write(0x21, 1, 0xff);
        bus.write(0xa1, 1, 0xff);
        bus.write(0x20, 1, 0x11);
        bus.write(0x21, 1, 0x20);
        bus.write(0x21, 1, 0x04); // a slave on IR2
        bus.write(0x21, 1, 0x01);
        bus.write(0xa0, 1, 0x11);
        bus.write(0xa1, 1, 0x28);
        bus.write(0xa1, 1, 0x02); // slave id 2
        bus.write(0xa1, 1, 0x01);
        bus.write(0x21, 1, masterMask);
        bus.write(0xa1, 1, slaveMask);
    }

    private void pulse(int irq) {
        pic.setLevel(irq, true);
        pic.setLevel(irq, false);
    }

    private void eoi(int port) {
        bus.write(port, 1, 0x20);
    }

    @Test
    void timerInterruptIsDeliveredAtTheRemappedVectorAndBlocksLowerPrioritiesUntilEoi() {
        initLikeLinux(0x00, 0x00);
        assertThat(pic.hasInterrupt()).isFalse();

        pulse(0);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(wakes.get()).isEqualTo(1);
        assertThat(pic.acknowledge()).isEqualTo(0x20);
        assertThat(pic.master().isr()).isEqualTo(0x01);
        assertThat(pic.master().irr()).isZero();

        pulse(4);
        assertThat(pic.hasInterrupt()).as("COM1 waits while the timer is in service").isFalse();
        eoi(0x20);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x24);
    }

    @Test
    void aHigherPriorityRequestNestsInsideALowerOneInService() {
        initLikeLinux(0x00, 0x00);
        pulse(4);
        assertThat(pic.acknowledge()).isEqualTo(0x24);
        pulse(0);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x20);
        assertThat(pic.master().isr()).isEqualTo(0x11);
        eoi(0x20); // non-specific: the highest in service, IRQ 0
        assertThat(pic.master().isr()).isEqualTo(0x10);
    }

    @Test
    void aMaskedRequestWaitsInIrrAndIsDeliveredWhenUnmasked() {
        initLikeLinux(0xfe, 0xff);
        pulse(3);
        assertThat(pic.hasInterrupt()).isFalse();
        assertThat(wakes.get()).isZero();
        bus.write(0x20, 1, 0x0a); // OCW3: read IRR
        assertThat(bus.read(0x20, 1)).isEqualTo(0x08);
        bus.write(0x21, 1, 0xf6);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x23);
        bus.write(0x20, 1, 0x0b); // OCW3: read ISR
        assertThat(bus.read(0x20, 1)).isEqualTo(0x08);
        assertThat(bus.read(0x21, 1)).isEqualTo(0xf6);
    }

    @Test
    void aSlaveInterruptGoesThroughTheCascadeAndNeedsBothEois() {
        initLikeLinux(0x00, 0x00);
        pulse(12);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x2c);
        assertThat(pic.master().isr()).isEqualTo(0x04);
        assertThat(pic.slave().isr()).isEqualTo(0x10);

        pulse(8);
        assertThat(pic.hasInterrupt()).as("IR2 is in service on the master").isFalse();
        eoi(0xa0);
        eoi(0x20);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x28);
    }

    @Test
    void deviceLineTwoIsIrqNine() {
        initLikeLinux(0x00, 0x00);
        pulse(2);
        assertThat(pic.acknowledge()).isEqualTo(0x29);
    }

    @Test
    void aRequestThatVanishesBeforeTheAcknowledgeIsSpuriousIrq7Or15() {
        initLikeLinux(0x00, 0x00);
        assertThat(pic.acknowledge()).isEqualTo(0x27);
        assertThat(pic.master().isr()).isZero();

        pulse(10);
        assertThat(pic.master().irr()).isEqualTo(0x04);
        bus.write(0xa1, 1, 0x04); // masked on the slave after the master latched IR2
        assertThat(pic.acknowledge()).isEqualTo(0x2f);
        assertThat(pic.slave().isr()).isZero();
        assertThat(pic.master().isr()).as("the master's IR2 stays in service: Linux EOIs it").isEqualTo(0x04);
    }

    @Test
    void anEdgeTriggeredLineHeldHighRequestsOnlyOnce() {
        initLikeLinux(0x00, 0x00);
        pic.setLevel(4, true);
        assertThat(pic.acknowledge()).isEqualTo(0x24);
        eoi(0x20);
        pic.setLevel(4, true);
        assertThat(pic.hasInterrupt()).isFalse();
        pic.setLevel(4, false);
        pic.setLevel(4, true);
        assertThat(pic.hasInterrupt()).isTrue();
    }

    @Test
    void specificEoiClearsOnlyTheNamedLevel() {
        initLikeLinux(0x00, 0x00);
        pulse(5);
        pic.acknowledge();
        pulse(1);
        pic.acknowledge();
        assertThat(pic.master().isr()).isEqualTo(0x22);
        bus.write(0x20, 1, 0x65); // specific EOI, level 5
        assertThat(pic.master().isr()).isEqualTo(0x02);
    }

    @Test
    void automaticEoiPutsNothingInService() {
        bus.write(0x20, 1, 0x13); // single, ICW4
        bus.write(0x21, 1, 0x40);
        bus.write(0x21, 1, 0x03); // 8086 mode, AEOI
        bus.write(0x21, 1, 0x00);
        pulse(0);
        assertThat(pic.acknowledge()).isEqualTo(0x40);
        assertThat(pic.master().isr()).isZero();
        pulse(0);
        assertThat(pic.hasInterrupt()).isTrue();
    }

    @Test
    void pollingReadsTheHighestRequestAndPutsItInService() {
        initLikeLinux(0x00, 0x00);
        bus.write(0x20, 1, 0x0c); // OCW3: poll
        assertThat(bus.read(0x20, 1)).isZero();
        pulse(6);
        pulse(3);
        bus.write(0x20, 1, 0x0c);
        assertThat(bus.read(0x20, 1)).isEqualTo(0x83);
        assertThat(pic.master().isr()).isEqualTo(0x08);
    }

    @Test
    void levelTriggeredInputsFollowTheLine() {
        bus.write(0x20, 1, 0x1b); // LTIM, single, ICW4
        bus.write(0x21, 1, 0x30);
        bus.write(0x21, 1, 0x01);
        pic.setLevel(1, true);
        assertThat(pic.acknowledge()).isEqualTo(0x31);
        eoi(0x20);
        assertThat(pic.hasInterrupt()).as("still high: requests again").isTrue();
        pic.setLevel(1, false);
        assertThat(pic.hasInterrupt()).isFalse();
    }

    @Test
    void setPriorityMakesTheNextLevelTheHighest() {
        initLikeLinux(0x00, 0x00);
        bus.write(0x20, 1, 0xc4); // lowest priority is IR4: IR5 is now the highest
        pulse(1);
        pulse(6);
        assertThat(pic.acknowledge()).isEqualTo(0x26);
    }

    @Test
    void reinitialisingClearsMaskAndRequests() {
        initLikeLinux(0xff, 0xff);
        pulse(0);
        bus.write(0x20, 1, 0x11);
        assertThat(pic.master().irr()).isZero();
        assertThat(bus.read(0x21, 1)).isZero();
    }

    @Test
    void theElcrHasABitPerIrqExceptThoseAPcWiresEdgeTriggered() {
        bus.register(I8259Pair.ELCR_BASE, I8259Pair.ELCR_LENGTH, "elcr", pic.elcrPorts());
        assertThat(bus.read(0x4d0, 2)).isZero();
        bus.write(0x4d0, 1, 0xff);
        bus.write(0x4d1, 1, 0xff);
        // IRQ 0, 1, 2 (timer, keyboard, cascade), 8 and 13 (RTC, FPU) are edge-triggered on every PC.
        assertThat(bus.read(0x4d0, 1)).isEqualTo(0xf8);
        assertThat(bus.read(0x4d1, 1)).isEqualTo(0xde);
        assertThat(pic.elcr()).isEqualTo(0xdef8);
        bus.write(0x4d0, 2, 0x0a20); // what Linux leaves for the SCI and PCI IRQs 5 and 11
        assertThat(pic.elcr()).isEqualTo(0x0a20);
    }

    @Test
    void anElcrLevelInputIsRequestedAgainAfterTheEoiWhileTheLineStaysHigh() {
        initLikeLinux(0x00, 0x00);
        pic.setElcr(1 << 11);
        pic.setLevel(11, true);
        assertThat(pic.acknowledge()).isEqualTo(0x2b);
        eoi(0xa0);
        eoi(0x20);
        assertThat(pic.hasInterrupt()).as("still asserted: the handler has not acknowledged the device yet").isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x2b);
        pic.setLevel(11, false); // the handler read the device's status
        eoi(0xa0);
        eoi(0x20);
        assertThat(pic.hasInterrupt()).isFalse();
        // An edge-triggered input in the same state is requested once only.
        pic.setElcr(0);
        pic.setLevel(11, true);
        assertThat(pic.acknowledge()).isEqualTo(0x2b);
        eoi(0xa0);
        eoi(0x20);
        assertThat(pic.hasInterrupt()).isFalse();
    }

    @Test
    void aLevelRequestThatDropsBeforeTheAcknowledgeIsGoneAndOneAlreadyHighCountsAtOnce() {
        initLikeLinux(0x00, 0x00);
        pic.setElcr(1 << 5);
        pic.setLevel(5, true);
        pic.setLevel(5, false);
        assertThat(pic.hasInterrupt()).as("a level request follows the line").isFalse();
        pic.setElcr(0);
        pic.setLevel(10, true);
        assertThat(pic.hasInterrupt()).isTrue();
        assertThat(pic.acknowledge()).isEqualTo(0x2a);
        eoi(0xa0);
        eoi(0x20);
        assertThat(pic.hasInterrupt()).as("an edge already taken").isFalse();
        int wakesBefore = wakes.get();
        pic.setElcr(1 << 10);
        assertThat(pic.hasInterrupt()).as("made level-sensitive while high: requested").isTrue();
        assertThat(wakes.get()).isGreaterThan(wakesBefore);
        // Reinitialising a chip keeps the ELCR (it is the chipset's): the line, still high, is requested again.
        initLikeLinux(0x00, 0x00);
        assertThat(pic.slave().irr()).isEqualTo(0x04);
    }
}
