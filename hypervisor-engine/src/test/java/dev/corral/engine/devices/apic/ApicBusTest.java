package dev.corral.engine.devices.apic;

import static dev.corral.engine.devices.apic.LocalApic.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.corral.engine.devices.apic.ApicMessage.DeliveryMode;
import dev.corral.engine.devices.apic.ApicMessage.Shorthand;
import org.junit.jupiter.api.Test;

/** Inter-processor interrupts through the ICR, destinations, INIT/SIPI, lowest priority, and MSI messages. */
class ApicBusTest {

    // ICR low: delivery modes, destination mode, level, trigger, shorthands.
    private static final int LOWEST = 0x100, SMI = 0x200, NMI = 0x400, INIT = 0x500, STARTUP = 0x600,
            LOGICAL = 0x800, ASSERT = 0x4000, LEVEL = 0x8000, SELF = 0x40000, ALL = 0x80000, ALL_BUT_SELF = 0xc0000;

    private final ApicRig rig = new ApicRig(4).enabled();

    private int[] takeAll() {
        var taken = new int[4];
        for (int i = 0; i < 4; i++) {
            taken[i] = rig.take(i);
            if (taken[i] >= 0) {
                rig.eoi(i);
            }
        }
        return taken;
    }

    private void flatLogicalIds() { // what Linux's flat driver writes: one bit per CPU
        for (int i = 0; i < 4; i++) {
            rig.set(i, DFR, 0xffffffffL);
            rig.set(i, LDR, 1L << 24 + i);
        }
    }

    @Test
    void aFixedIpiToAPhysicalIdReachesThatCpuAlone() {
        rig.ipi(0, 2, 0xfd);
        assertThat(rig.wakes).containsExactly(0, 0, 1, 0);
        assertThat(takeAll()).containsExactly(-1, -1, 0xfd, -1);
        assertThat(rig.reg(0, ICR)).as("delivery status idle at once").isEqualTo(0xfdL);
        assertThat(rig.reg(0, ICR_HIGH)).isEqualTo(2L << 24);
    }

    @Test
    void theDestinationShorthandsNameSelfAllAndAllButSelf() {
        rig.ipi(1, 3, SELF | 0x40);
        assertThat(takeAll()).containsExactly(-1, 0x40, -1, -1);
        rig.ipi(1, 3, ALL | 0x41);
        assertThat(takeAll()).containsExactly(0x41, 0x41, 0x41, 0x41);
        rig.ipi(1, 3, ALL_BUT_SELF | 0x42);
        assertThat(takeAll()).containsExactly(0x42, -1, 0x42, 0x42);
        rig.ipi(1, 3, SELF | NMI); // only fixed may go to self
        assertThat(rig.cpu(1).hasSignal(true)).isFalse();
    }

    @Test
    void thePhysicalBroadcastReachesEveryCpuIncludingTheSender() {
        rig.ipi(0, 0xff, 0x50);
        assertThat(takeAll()).containsExactly(0x50, 0x50, 0x50, 0x50);
    }

    @Test
    void aFlatLogicalDestinationReachesEveryCpuWhoseBitIsSet() {
        flatLogicalIds();
        rig.ipi(0, 0b1010, LOGICAL | 0x60);
        assertThat(takeAll()).containsExactly(-1, 0x60, -1, 0x60);
        rig.ipi(0, 0xff, LOGICAL | 0x61);
        assertThat(takeAll()).containsExactly(0x61, 0x61, 0x61, 0x61);
    }

    @Test
    void aClusterLogicalDestinationMatchesTheClusterThenTheMemberBits() {
        int[] ldr = {0x11, 0x12, 0x21, 0x24}; // clusters 1 and 2
        for (int i = 0; i < 4; i++) {
            rig.set(i, DFR, 0x0fffffffL);
            rig.set(i, LDR, (long) ldr[i] << 24);
        }
        rig.ipi(0, 0x13, LOGICAL | 0x70);
        assertThat(takeAll()).containsExactly(0x70, 0x70, -1, -1);
        rig.ipi(0, 0x24, LOGICAL | 0x71);
        assertThat(takeAll()).containsExactly(-1, -1, -1, 0x71);
        rig.ipi(0, 0x14, LOGICAL | 0x72); // cluster 1 has no member 4
        assertThat(takeAll()).containsExactly(-1, -1, -1, -1);
    }

    @Test
    void initResetsTheTargetsApicAndThenTwoStartupsReachItAsLinuxSendsThem() {
        rig.set(2, TPR, 0x30);
        rig.set(2, LVT_LINT0, 0x700);
        rig.ipi(0, 2, INIT | LEVEL | ASSERT);
        assertThat(rig.reg(2, SVR)).as("INIT leaves the APIC in its reset state").isEqualTo(0xffL);
        assertThat(rig.reg(2, TPR)).isZero();
        assertThat(rig.reg(2, LVT_LINT0)).isEqualTo(0x10000L);
        assertThat(rig.reg(2, ID)).isEqualTo(2L << 24);
        assertThat(rig.cpu(2).readMsr(MSR_APIC_BASE)).isEqualTo(0xfee00800L);
        rig.ipi(0, 2, INIT | LEVEL); // de-assert: synchronises arbitration ids, no INIT
        rig.ipi(0, 2, STARTUP | 0x9a);
        rig.ipi(0, 2, STARTUP | 0x9a);
        assertThat(rig.wakes[2]).isEqualTo(3);

        var ap = rig.cpu(2);
        assertThat(ap.hasSignal(false)).isTrue();
        assertThat(ap.pollSignal(false)).isEqualTo(new ApicSignal.Init());
        assertThat(ap.pollSignal(false)).isEqualTo(new ApicSignal.Startup(0x9a));
        assertThat(ap.pollSignal(false)).isNull();
        for (int other : new int[] {0, 1, 3}) {
            assertThat(rig.cpu(other).pollSignal(true)).as("cpu %d", other).isNull();
        }
    }

    @Test
    void aLaterInitCancelsAStartupNotYetTaken() {
        rig.ipi(0, 1, STARTUP | 0x10);
        rig.ipi(0, 1, INIT | LEVEL | ASSERT);
        assertThat(rig.cpu(1).pollSignal(true)).isEqualTo(new ApicSignal.Init());
        assertThat(rig.cpu(1).pollSignal(true)).isNull();
    }

    @Test
    void anNmiWaitsUntilTheCpuCanTakeOneAndSmisAreIgnored() {
        rig.ipi(0, 3, NMI);
        rig.ipi(0, 3, SMI);
        var cpu = rig.cpu(3);
        assertThat(cpu.hasInterrupt()).as("an NMI is not an INTR").isFalse();
        assertThat(cpu.pollSignal(false)).isNull();
        assertThat(cpu.hasSignal(true)).isTrue();
        assertThat(cpu.pollSignal(true)).isEqualTo(new ApicSignal.Nmi());
        assertThat(cpu.pollSignal(true)).isNull();
    }

    @Test
    void sendingAVectorBelowSixteenIsASendIllegalVectorError() {
        rig.ipi(0, 1, 0x05);
        assertThat(rig.wakes[1]).isZero();
        rig.set(0, ESR, 0);
        assertThat(rig.reg(0, ESR)).isEqualTo(ESR_SEND_ILLEGAL_VECTOR);
    }

    @Test
    void lowestPriorityGoesToTheLowestArbitrationPriorityAndRotatesAmongEquals() {
        flatLogicalIds();
        rig.set(0, TPR, 0x20);
        rig.set(1, TPR, 0x10);
        rig.set(2, TPR, 0x30);
        rig.set(3, TPR, 0x40);
        rig.ipi(3, 0x0f, LOGICAL | LOWEST | 0x80);
        assertThat(takeAll()).containsExactly(-1, 0x80, -1, -1);

        rig.set(0, TPR, 0);
        rig.set(1, TPR, 0);
        var counts = new int[4];
        for (int i = 0; i < 20; i++) {
            rig.ipi(3, 0b0011, LOGICAL | LOWEST | 0x80);
            var taken = takeAll();
            for (int cpu = 0; cpu < 4; cpu++) {
                counts[cpu] += taken[cpu] == 0x80 ? 1 : 0;
            }
        }
        assertThat(counts).containsExactly(10, 10, 0, 0);
    }

    @Test
    void lowestPriorityPrefersTheFocusProcessorThatAlreadyHasTheVector() {
        flatLogicalIds();
        rig.set(2, TPR, 0xf0);
        rig.ipi(0, 2, 0x80);
        rig.ipi(3, 0x0f, LOGICAL | LOWEST | 0x80);
        assertThat(rig.bit(2, IRR, 0x80)).isTrue();
        assertThat(rig.wakes).containsExactly(0, 0, 2, 0);
        rig.set(2, SVR, 0x3ff); // focus checking disabled: the TPR decides again
        rig.ipi(3, 0x0f, LOGICAL | LOWEST | 0x81);
        assertThat(rig.wakes[2]).isEqualTo(2);
    }

    @Test
    void aSoftwareDisabledApicTakesNoFixedIpisButStillTakesInit() {
        rig.set(1, SVR, 0xff);
        rig.ipi(0, 1, 0x90);
        assertThat(rig.wakes[1]).isZero();
        rig.ipi(0, 1, INIT | LEVEL | ASSERT);
        assertThat(rig.cpu(1).pollSignal(false)).isEqualTo(new ApicSignal.Init());
    }

    @Test
    void aLevelTriggeredIpiSetsTheTargetsTmr() {
        rig.ipi(0, 1, LEVEL | ASSERT | 0x91);
        assertThat(rig.bit(1, TMR, 0x91)).isTrue();
    }

    @Test
    void apicIdsAreUniqueOnABusAndWiringMistakesAreRefused() {
        var timer = new ApicTimer(rig.tsc, () -> 0, ApicTimer.DEFAULT_FREQUENCY_HZ);
        assertThatThrownBy(() -> new LocalApic(rig.bus, 2, false, timer, () -> false, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("APIC id 2 is already on this bus");
        assertThatThrownBy(() -> new LocalApic(rig.bus, 0xff, false, timer, () -> false, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0-254");
        assertThatThrownBy(() -> new ApicTimer(rig.tsc, () -> 0, 5_000_000_000L))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 MHz-4 GHz");
        assertThatThrownBy(() -> rig.bus.deliver(new ApicMessage(0, false, DeliveryMode.FIXED, 0x40, false, true,
                Shorthand.SELF, false))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anMsiDecodesToTheSameMessageAsTheIcrWouldSend() {
        var physical = ApicMessage.fromMsi(0xfee03000L, 0x4041);
        assertThat(physical).isEqualTo(ApicMessage.io(3, false, DeliveryMode.FIXED, 0x41, false));
        var logical = ApicMessage.fromMsi(0xfee0f00cL, 0x0100 | 0x8000 | 0x4000 | 0x42);
        assertThat(logical).isEqualTo(ApicMessage.io(0x0f, true, DeliveryMode.LOWEST_PRIORITY, 0x42, true));
        assertThat(ApicMessage.fromMsi(0xfeeff000L, 0x0400).mode()).isEqualTo(DeliveryMode.NMI);
        assertThat(ApicMessage.fromMsi(0xfeeff000L, 0x0000).isBroadcast()).isTrue();

        assertThat(ApicMessage.isMsiAddress(0xfee00000L)).isTrue();
        assertThat(ApicMessage.isMsiAddress(0xfeefffffL)).isTrue();
        assertThat(ApicMessage.isMsiAddress(0xfef00000L)).isFalse();
        assertThat(ApicMessage.isMsiAddress(0x1_fee00000L)).isFalse();
        assertThatThrownBy(() -> ApicMessage.fromMsi(0xfec00000L, 0x41)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anMsiWriteInterruptsItsDestinationAndAnyOtherAddressIsMemory() {
        assertThat(rig.bus.deliverMsi(0xfee02000L, 0x43)).isTrue();
        assertThat(takeAll()).containsExactly(-1, -1, 0x43, -1);
        flatLogicalIds();
        assertThat(rig.bus.deliverMsi(0xfee09004L, 0x8044)).isTrue(); // logical 0b1001, level-triggered
        assertThat(rig.bit(0, TMR, 0x44) && rig.bit(3, TMR, 0x44)).isTrue();
        assertThat(takeAll()).containsExactly(0x44, -1, -1, 0x44);
        assertThat(rig.eois).containsExactly(0x44, 0x44);
        assertThat(rig.bus.deliverMsi(0x1000L, 0x45)).isFalse();
        assertThat(rig.wakes).containsExactly(1, 0, 1, 1);
    }
}
