package dev.corral.engine.devices.apic;

import static dev.corral.engine.devices.apic.LocalApic.*;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The local APIC's registers in xAPIC mode, priorities, the INTA cycle, EOI and errors. */
class LocalApicTest {

    private final ApicRig rig = new ApicRig(2);
    private final LocalApic bsp = rig.cpu(0);

    /** Delivers a fixed interrupt to CPU 0 as the I/O APIC would. */
    private void raise(int vector, boolean level) {
        rig.bus.deliver(ApicMessage.io(0, false, ApicMessage.DeliveryMode.FIXED, vector, level));
    }

    @Test
    void everyRegisterStartsAtItsPowerUpValue() {
        assertThat(rig.reg(1, ID)).isEqualTo(1L << 24);
        assertThat(rig.reg(0, VERSION)).isEqualTo(0x01050014L); // EOI-broadcast suppression, max LVT 5, version 0x14
        assertThat(rig.reg(0, TPR)).isZero();
        assertThat(rig.reg(0, APR)).isZero();
        assertThat(rig.reg(0, PPR)).isZero();
        assertThat(rig.reg(0, LDR)).isZero();
        assertThat(rig.reg(0, DFR)).isEqualTo(0xffffffffL);
        assertThat(rig.reg(0, SVR)).isEqualTo(0xffL);
        for (int slice = 0; slice < 8; slice++) {
            assertThat(rig.reg(0, ISR + 16 * slice) | rig.reg(0, TMR + 16 * slice) | rig.reg(0, IRR + 16 * slice)).isZero();
        }
        assertThat(rig.reg(0, ESR)).isZero();
        assertThat(rig.reg(0, ICR) | rig.reg(0, ICR_HIGH)).isZero();
        for (int lvt = LVT_TIMER; lvt <= LVT_ERROR; lvt += 16) {
            assertThat(rig.reg(0, lvt)).as("LVT at 0x%x", lvt).isEqualTo(0x10000L);
        }
        assertThat(rig.reg(0, TIMER_INITIAL) | rig.reg(0, TIMER_CURRENT) | rig.reg(0, TIMER_DIVIDE)).isZero();
        assertThat(bsp.readMsr(MSR_APIC_BASE)).isEqualTo(0xfee00900L); // enabled, bootstrap processor
        assertThat(rig.cpu(1).readMsr(MSR_APIC_BASE)).isEqualTo(0xfee00800L);
        assertThat(bsp.mmioBase()).isEqualTo(0xfee00000L);
    }

    @Test
    void aSoftwareDisabledApicKeepsItsLvtMasksAndDropsFixedInterrupts() {
        rig.set(0, LVT_TIMER, 0x30);
        assertThat(rig.reg(0, LVT_TIMER)).isEqualTo(0x10030L); // the mask cannot be cleared while disabled
        raise(0x40, false);
        assertThat(rig.bit(0, IRR, 0x40)).isFalse();
        assertThat(bsp.hasInterrupt()).isFalse();

        rig.set(0, SVR, 0x1ff);
        rig.set(0, LVT_TIMER, 0x30);
        rig.set(0, LVT_LINT0, 0x700);
        assertThat(rig.reg(0, LVT_TIMER)).isEqualTo(0x30L);
        raise(0x40, false);
        assertThat(rig.bit(0, IRR, 0x40)).isTrue();

        rig.set(0, SVR, 0xff); // software disable: every LVT entry masked at once
        assertThat(rig.reg(0, LVT_TIMER)).isEqualTo(0x10030L);
        assertThat(rig.reg(0, LVT_LINT0)).isEqualTo(0x10700L);
    }

    @Test
    void registersKeepOnlyTheirDefinedBits() {
        rig.set(0, TPR, 0xffffffffL);
        rig.set(0, LDR, 0xffffffffL);
        rig.set(0, DFR, 0x0L);
        rig.set(0, SVR, 0xffffffffL);
        rig.set(0, ICR_HIGH, 0xffffffffL);
        rig.set(0, TIMER_DIVIDE, 0xffffffffL);
        rig.set(0, LVT_LINT1, 0xffffffffL);
        rig.set(0, LVT_ERROR, 0xffffffffL);
        assertThat(rig.reg(0, TPR)).isEqualTo(0xffL);
        assertThat(rig.reg(0, LDR)).isEqualTo(0xff000000L);
        assertThat(rig.reg(0, DFR)).isEqualTo(0x0fffffffL); // the cluster model; bits 27:0 read as ones
        assertThat(rig.reg(0, SVR)).isEqualTo(0x13ffL);
        assertThat(rig.reg(0, ICR_HIGH)).isEqualTo(0xff000000L);
        assertThat(rig.reg(0, TIMER_DIVIDE)).isEqualTo(0xbL);
        assertThat(rig.reg(0, LVT_LINT1)).isEqualTo(0x1a7ffL); // not delivery status (12), not remote IRR (14)
        assertThat(rig.reg(0, LVT_ERROR)).isEqualTo(0x100ffL);
        rig.set(0, ID, 0x05000000L);
        rig.set(0, VERSION, 0);
        assertThat(rig.reg(0, ID)).isZero(); // the id is read-only here
        assertThat(rig.reg(0, VERSION)).isEqualTo(0x01050014L);
    }

    @Test
    void smallerReadsSeeTheLowBytesOfASlotAndOtherAccessesAreDropped() {
        rig.enabled();
        rig.set(1, TPR, 0x5a);
        assertThat(rig.cpu(1).read(ID + 3, 1)).isEqualTo(1L); // the id byte, as Linux's early code may read it
        assertThat(rig.cpu(1).read(TPR, 2)).isEqualTo(0x5aL);
        assertThat(rig.cpu(1).read(TPR + 4, 4)).isZero(); // bytes 4-15 of a slot hold nothing
        assertThat(rig.cpu(1).read(TPR, 8)).isZero();
        rig.cpu(1).write(TPR, 2, 0x11);
        rig.cpu(1).write(TPR + 4, 4, 0x22);
        rig.cpu(1).write(TPR, 8, 0x33);
        assertThat(rig.reg(1, TPR)).isEqualTo(0x5aL);
        assertThat(rig.reg(1, ESR)).isZero();
    }

    @Test
    void reservedOffsetsAreIllegalRegisterAddressesThatTheEsrPublishesOnItsNextWrite() {
        rig.enabled();
        rig.set(0, LVT_ERROR, 0xfe);
        assertThat(rig.reg(0, 0x40)).isZero();
        rig.set(0, 0x2f0, 1); // no CMCI entry with max LVT 5
        assertThat(rig.reg(0, ESR)).as("errors wait for the next ESR write").isZero();
        rig.set(0, ESR, 0);
        assertThat(rig.reg(0, ESR)).isEqualTo(ESR_ILLEGAL_REGISTER);
        rig.set(0, ESR, 0);
        assertThat(rig.reg(0, ESR)).as("and a second write starts afresh").isZero();
        assertThat(rig.take(0)).as("the error LVT interrupts").isEqualTo(0xfe);
    }

    @Test
    void theHighestDeliverableInterruptIsTakenFirstAndEoiRetiresTheHighestInService() {
        rig.enabled();
        raise(0x31, false);
        raise(0x62, false);
        raise(0x45, false);
        assertThat(rig.wakes[0]).isEqualTo(3);
        assertThat(rig.reg(0, IRR + 0x10)).isEqualTo(1L << 0x31 - 32);
        assertThat(rig.reg(0, IRR + 0x20)).isEqualTo(1L << 0x45 - 64);
        assertThat(rig.reg(0, IRR + 0x30)).isEqualTo(1L << 0x62 - 96);
        assertThat(rig.take(0)).isEqualTo(0x62);
        assertThat(rig.reg(0, PPR)).isEqualTo(0x60L);
        assertThat(rig.take(0)).as("nothing of a lower class while 0x62 is in service").isEqualTo(-1);
        raise(0x71, false);
        assertThat(rig.take(0)).as("a higher class nests").isEqualTo(0x71);
        assertThat(rig.bit(0, ISR, 0x62) && rig.bit(0, ISR, 0x71)).isTrue();

        rig.eoi(0);
        assertThat(rig.bit(0, ISR, 0x71)).isFalse();
        assertThat(rig.bit(0, ISR, 0x62)).isTrue();
        rig.eoi(0);
        assertThat(rig.reg(0, PPR)).isZero();
        assertThat(rig.take(0)).isEqualTo(0x45);
        rig.eoi(0);
        assertThat(rig.take(0)).isEqualTo(0x31);
        rig.eoi(0);
        rig.eoi(0); // an EOI with nothing in service does nothing
        assertThat(rig.take(0)).isEqualTo(-1);
        assertThat(rig.eois).as("all were edge-triggered").isEmpty();
    }

    @Test
    void theTaskPriorityHoldsOffItsClassAndBelowAndCr8IsItsHighNibble() {
        rig.enabled();
        rig.set(0, TPR, 0x45);
        raise(0x4f, false);
        assertThat(bsp.hasInterrupt()).isFalse();
        assertThat(rig.reg(0, PPR)).isEqualTo(0x45L);
        assertThat(bsp.cr8()).isEqualTo(4);
        raise(0x50, false);
        assertThat(rig.reg(0, APR)).isEqualTo(0x50L);
        assertThat(rig.take(0)).isEqualTo(0x50);
        rig.set(0, TPR, 0x5a);
        assertThat(rig.reg(0, PPR)).as("the TPR wins a tie of classes with the ISR").isEqualTo(0x5aL);
        rig.set(0, TPR, 0x45);
        assertThat(rig.reg(0, PPR)).isEqualTo(0x50L);
        rig.eoi(0);
        bsp.writeCr8(3);
        assertThat(rig.reg(0, TPR)).isEqualTo(0x30L); // MOV CR8 clears TPR bits 3:0
        assertThat(rig.take(0)).isEqualTo(0x4f);
    }

    @Test
    void aLevelTriggeredInterruptSetsTheTmrAndItsEoiIsBroadcastUnlessSuppressed() {
        rig.enabled();
        raise(0x90, true);
        assertThat(rig.bit(0, TMR, 0x90)).isTrue();
        assertThat(rig.take(0)).isEqualTo(0x90);
        rig.eoi(0);
        assertThat(rig.eois).containsExactly(0x90);

        rig.set(0, SVR, 0x11ff); // suppress EOI broadcasts: the OS writes the I/O APIC's EOI register itself
        raise(0x90, true);
        rig.take(0);
        rig.eoi(0);
        assertThat(rig.eois).containsExactly(0x90);

        raise(0x90, false); // the same vector, edge-triggered now: the TMR bit clears on acceptance
        assertThat(rig.bit(0, TMR, 0x90)).isFalse();
    }

    @Test
    void withNothingDeliverableTheInterruptAcknowledgeGetsTheSpuriousVector() {
        rig.enabled();
        rig.set(0, SVR, 0x1ef);
        assertThat(bsp.acknowledge()).isEqualTo(new ApicInterrupt.Vector(0xef));
        assertThat(rig.reg(0, ISR + 0x70)).as("and nothing goes in service").isZero();
    }

    @Test
    void vectorsBelowSixteenAreRefusedWithAReceiveIllegalVectorError() {
        rig.enabled();
        raise(0x0e, false);
        assertThat(bsp.hasInterrupt()).isFalse();
        rig.set(0, ESR, 0);
        assertThat(rig.reg(0, ESR)).isEqualTo(ESR_RECEIVE_ILLEGAL_VECTOR);
    }

    @Test
    void inVirtualWireModeThePicReachesTheCpuThroughLint0AsExtInt() {
        assertThat(bsp.hasInterrupt()).isFalse();
        rig.picInterrupt = true;
        assertThat(bsp.hasInterrupt()).as("LINT0 is masked at reset").isFalse();

        bsp.enterVirtualWireMode();
        assertThat(rig.reg(0, LVT_LINT0)).isEqualTo(0x700L);
        assertThat(rig.reg(0, LVT_LINT1)).isEqualTo(0x400L);
        assertThat(bsp.hasInterrupt()).isTrue();
        assertThat(bsp.acknowledge()).isInstanceOf(ApicInterrupt.ExtInt.class);
        rig.picInterrupt = false;
        assertThat(bsp.hasInterrupt()).isFalse();

        rig.set(0, SVR, 0x1ff);
        rig.set(0, LVT_LINT0, 0x10700); // Linux masks LINT0 once the I/O APIC takes over
        rig.picInterrupt = true;
        assertThat(bsp.hasInterrupt()).isFalse();
    }

    @Test
    void aGloballyDisabledApicLetsThePicStraightThroughAndDecodesNoPage() {
        rig.enabled();
        raise(0x40, false);
        bsp.writeMsr(MSR_APIC_BASE, 0xfee00000L);
        assertThat(bsp.mmioBase()).isEqualTo(-1);
        assertThat(bsp.read(TPR, 4)).isEqualTo(0xffffffffL);
        assertThat(bsp.hasInterrupt()).as("the IRR was lost with the APIC").isFalse();
        rig.picInterrupt = true;
        assertThat(bsp.acknowledge()).isInstanceOf(ApicInterrupt.ExtInt.class);
        raise(0x41, false);
        rig.picInterrupt = false;
        assertThat(bsp.hasInterrupt()).isFalse();

        bsp.writeMsr(MSR_APIC_BASE, 0xfee00800L);
        assertThat(rig.reg(0, SVR)).as("back in its reset state").isEqualTo(0xffL);
        assertThat(bsp.readMsr(MSR_APIC_BASE)).isEqualTo(0xfee00900L);
    }

    @Test
    void theRegisterPageMovesWithIa32ApicBase() {
        bsp.writeMsr(MSR_APIC_BASE, 0xfed00800L);
        assertThat(bsp.mmioBase()).isEqualTo(0xfed00000L);
        assertThat(bsp.readMsr(MSR_APIC_BASE)).isEqualTo(0xfed00900L);
    }
}
