package dev.corral.engine.devices.apic;

import static dev.corral.engine.devices.apic.LocalApic.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** IA32_APIC_BASE's state machine and the x2APIC register interface (SDM 10.12). */
class X2ApicTest {

    private static final long XAPIC = 0xfee00800L, X2APIC = 0xfee00c00L, DISABLED = 0xfee00000L;

    private final ApicRig rig = new ApicRig(20);
    private final LocalApic bsp = rig.cpu(0);
    private final LocalApic cpu19 = rig.cpu(19);

    private static int msr(int offset) {
        return MSR_X2APIC_FIRST + (offset >> 4);
    }

    private void x2apic(LocalApic apic) {
        apic.writeMsr(MSR_APIC_BASE, apic.readMsr(MSR_APIC_BASE) | BASE_EXTD);
        apic.writeMsr(msr(SVR), 0x1ff);
    }

    @Test
    void enteringX2apicModeMovesTheRegistersToMsrsAndDerivesTheLogicalId() {
        cpu19.write(TPR, 4, 0x20);
        x2apic(cpu19);
        assertThat(cpu19.readMsr(MSR_APIC_BASE)).isEqualTo(X2APIC);
        assertThat(cpu19.mmioBase()).as("no register page in x2APIC mode").isEqualTo(-1);
        assertThat(cpu19.read(TPR, 4)).isEqualTo(0xffffffffL);
        assertThat(cpu19.readMsr(msr(ID))).isEqualTo(19L); // the whole id, not in bits 31:24
        assertThat(cpu19.readMsr(msr(TPR))).as("registers survive the switch").isEqualTo(0x20L);
        assertThat(cpu19.readMsr(msr(LDR))).isEqualTo(1L << 16 | 1 << 3); // cluster 1, member 3
        assertThat(cpu19.readMsr(msr(VERSION))).isEqualTo(0x01050014L);
        assertThat(cpu19.readMsr(msr(LVT_TIMER))).isEqualTo(0x10000L);
    }

    @Test
    void theApicBaseStateMachineRefusesTheTransitionsTheSdmForbids() {
        assertThatThrownBy(() -> bsp.writeMsr(MSR_APIC_BASE, 0xfee00400L))
                .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("not a valid state");
        assertThatThrownBy(() -> bsp.writeMsr(MSR_APIC_BASE, XAPIC | 1))
                .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(MSR_APIC_BASE, XAPIC | 1L << 52))
                .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("reserved bits");
        bsp.writeMsr(MSR_APIC_BASE, X2APIC);
        assertThatThrownBy(() -> bsp.writeMsr(MSR_APIC_BASE, XAPIC))
                .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("must pass through the disabled state");
        bsp.writeMsr(MSR_APIC_BASE, DISABLED);
        assertThatThrownBy(() -> bsp.writeMsr(MSR_APIC_BASE, X2APIC))
                .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("xAPIC mode before x2APIC");
        bsp.writeMsr(MSR_APIC_BASE, XAPIC); // the way Linux's __x2apic_disable goes back
        assertThat(bsp.readMsr(MSR_APIC_BASE)).isEqualTo(XAPIC | BASE_BSP);
        assertThat(bsp.mmioBase()).isEqualTo(0xfee00000L);
    }

    @Test
    void x2apicMsrsAreRefusedOutsideX2apicMode() {
        assertThatThrownBy(() -> bsp.readMsr(msr(ID)))
                .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("not in x2APIC mode");
        assertThatThrownBy(() -> bsp.writeMsr(msr(TPR), 0)).isInstanceOf(MsrAccessRefused.class);
        assertThat(handlesMsr(0x800)).isTrue();
        assertThat(handlesMsr(0x8ff)).isTrue();
        assertThat(handlesMsr(0x6e0)).isTrue();
        assertThat(handlesMsr(0x1b)).isTrue();
        assertThat(handlesMsr(0x900)).isFalse();
    }

    @Test
    void readOnlyWriteOnlyAbsentAndReservedBitsAreRefusals() {
        x2apic(bsp);
        for (int readOnly : new int[] {ID, VERSION, PPR, LDR, ISR, TMR + 0x70, IRR, TIMER_CURRENT}) {
            assertThatThrownBy(() -> bsp.writeMsr(msr(readOnly), 0)).as("0x%x", readOnly)
                    .isInstanceOf(MsrAccessRefused.class).hasMessageContaining("read-only");
        }
        for (int absent : new int[] {APR, DFR, ICR_HIGH, 0x2f0, 0x3a0, 0x000}) {
            assertThatThrownBy(() -> bsp.readMsr(msr(absent))).as("0x%x", absent).isInstanceOf(MsrAccessRefused.class);
            assertThatThrownBy(() -> bsp.writeMsr(msr(absent), 0)).as("0x%x", absent).isInstanceOf(MsrAccessRefused.class);
        }
        assertThatThrownBy(() -> bsp.readMsr(msr(EOI))).isInstanceOf(MsrAccessRefused.class);
        assertThatThrownBy(() -> bsp.readMsr(msr(SELF_IPI))).isInstanceOf(MsrAccessRefused.class);
        assertThatThrownBy(() -> bsp.writeMsr(msr(EOI), 1)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(msr(ESR), 1)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(msr(TPR), 0x100)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(msr(TPR), 1L << 32)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(msr(LVT_TIMER), 0x60000)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(msr(SELF_IPI), 0x130)).hasMessageContaining("reserved bits");
        assertThatThrownBy(() -> bsp.writeMsr(msr(ICR), 1 << 12)).hasMessageContaining("reserved bits");
        assertThat(bsp.readMsr(msr(TPR))).as("a refused write changes nothing").isZero();

        bsp.writeMsr(msr(LVT_LINT0), 0x700);
        bsp.writeMsr(msr(ESR), 0);
        assertThat(bsp.readMsr(msr(LVT_LINT0))).isEqualTo(0x700L);
        assertThat(bsp.readMsr(msr(ESR))).as("refusals are #GPs, not APIC errors").isZero();
    }

    @Test
    void theSelfIpiRegisterSendsAnEdgeTriggeredFixedInterruptToItself() {
        x2apic(bsp);
        bsp.writeMsr(msr(SELF_IPI), 0xec);
        assertThat(rig.take(0)).isEqualTo(0xec);
        assertThat(rig.wakes[1]).isZero();
        bsp.writeMsr(msr(EOI), 0);
        assertThat(bsp.readMsr(msr(ISR + 0x70))).isZero();
        assertThat(rig.eois).isEmpty();
    }

    @Test
    void the64BitIcrSendsToA32BitPhysicalDestination() {
        x2apic(bsp);
        x2apic(cpu19);
        bsp.writeMsr(msr(ICR), 19L << 32 | 0x4000 | 0x61);
        assertThat(bsp.readMsr(msr(ICR))).isEqualTo(19L << 32 | 0x4061);
        assertThat(rig.take(19)).isEqualTo(0x61);
        cpu19.writeMsr(msr(EOI), 0);

        bsp.writeMsr(msr(ICR), 0xffffffffL << 32 | 0x62); // the x2APIC broadcast
        assertThat(rig.take(19)).isEqualTo(0x62);
        assertThat(rig.take(0)).isEqualTo(0x62);
        bsp.writeMsr(msr(ICR), 0xffL << 32 | 0x63); // 0xff is just an id now, and nobody has it
        assertThat(cpu19.hasInterrupt() || bsp.hasInterrupt()).isFalse();
    }

    @Test
    void logicalX2apicDestinationsNameAClusterAndAMaskWithinIt() {
        for (int i = 0; i < 20; i++) {
            x2apic(rig.cpu(i));
        }
        bsp.writeMsr(msr(ICR), (1L << 16 | 0b1010) << 32 | 0x800 | 0x70); // cluster 1: ids 17 and 19
        for (int i = 0; i < 20; i++) {
            assertThat(rig.take(i)).as("cpu %d", i).isEqualTo(i == 17 || i == 19 ? 0x70 : -1);
        }
        bsp.writeMsr(msr(ICR), (1L << 16 | 1) << 32 | 0x800 | 0x71); // member 0 of cluster 1, not of cluster 0
        for (int i = 0; i < 20; i++) {
            assertThat(rig.take(i)).as("cpu %d", i).isEqualTo(i == 16 ? 0x71 : -1);
        }
    }

    @Test
    void anIoApicMessageStillReachesX2apicProcessorsThroughItsEightBitDestination() {
        x2apic(cpu19);
        rig.bus.deliver(ApicMessage.io(19, false, ApicMessage.DeliveryMode.FIXED, 0x41, false));
        rig.bus.deliver(ApicMessage.io(0xff, false, ApicMessage.DeliveryMode.FIXED, 0x42, false));
        assertThat(rig.take(19)).isEqualTo(0x42);
        cpu19.writeMsr(msr(EOI), 0);
        assertThat(rig.take(19)).isEqualTo(0x41);
    }
}
