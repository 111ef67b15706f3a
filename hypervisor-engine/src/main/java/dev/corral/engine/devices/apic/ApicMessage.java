package dev.corral.engine.devices.apic;

import java.util.Objects;

/**
 * One interrupt message on the system bus between APICs (Intel SDM vol. 3A, 10.6 and 10.11): what a local APIC's
 * ICR sends, what the IOAPIC sends for a redirection entry, and what a PCI device's MSI write means.
 *
 * @param destination    an APIC id (physical) or a logical destination (logical); 8 bits unless {@code wide}
 * @param logical        the destination mode: logical (LDR/DFR matching) rather than physical (APIC id)
 * @param mode           the delivery mode
 * @param vector         the vector (fixed, lowest priority; the start-up page for STARTUP)
 * @param levelTriggered the trigger mode: level-triggered interrupts set the TMR bit and broadcast their EOI
 * @param assertion      the level: only an INIT with level 0 and level trigger ("INIT level de-assert") clears it
 * @param shorthand      the ICR's destination shorthand; {@link Shorthand#NONE} for messages not from a CPU
 * @param wide           the destination is 32 bits (an x2APIC ICR), so 0xffffffff, not 0xff, is the broadcast
 */
public record ApicMessage(int destination, boolean logical, DeliveryMode mode, int vector, boolean levelTriggered,
        boolean assertion, Shorthand shorthand, boolean wide) {

    /** The broadcast destination of an 8-bit (xAPIC, IOAPIC, MSI) message, physical or logical. */
    public static final int BROADCAST = 0xff;
    /** The broadcast destination of a 32-bit (x2APIC) message. */
    public static final int X2APIC_BROADCAST = 0xffffffff;

    /** The 1 MiB window of physical addresses whose writes are interrupt messages, not memory writes. */
    public static final long MSI_WINDOW = 0xfee00000L;
    // MSI address (SDM 10.11.1): bits 19:12 destination ID, bit 3 redirection hint, bit 2 destination mode.
    private static final int MSI_DESTINATION_SHIFT = 12, MSI_DESTINATION_MODE = 1 << 2;
    // MSI data (SDM 10.11.2), and the same low bits in an ICR or a redirection entry.
    private static final int DELIVERY_MODE_SHIFT = 8, ICR_DESTINATION_LOGICAL = 1 << 11, LEVEL_ASSERT = 1 << 14,
            TRIGGER_LEVEL = 1 << 15;

    /** The delivery modes, in the order of their 3-bit encoding. */
    public enum DeliveryMode {
        FIXED, LOWEST_PRIORITY, SMI, RESERVED, NMI, INIT, STARTUP, EXTINT;

        private static final DeliveryMode[] BY_CODE = values();

        /** The mode whose encoding is {@code bits & 7}. */
        public static DeliveryMode of(int bits) {
            return BY_CODE[bits & 7];
        }

        /** Fixed and lowest priority carry a vector into the IRR; the others are signals to the processor. */
        public boolean carriesVector() {
            return this == FIXED || this == LOWEST_PRIORITY;
        }
    }

    /** The ICR's destination shorthand (bits 19:18), in the order of its encoding. */
    public enum Shorthand {
        NONE, SELF, ALL_INCLUDING_SELF, ALL_EXCLUDING_SELF;

        private static final Shorthand[] BY_CODE = values();

        public static Shorthand of(int bits) {
            return BY_CODE[bits & 3];
        }
    }

    public ApicMessage {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(shorthand, "shorthand");
        if (vector < 0 || vector > 0xff) {
            throw new IllegalArgumentException("an interrupt vector is 0-255, not " + vector);
        }
        if (!wide && (destination < 0 || destination > 0xff)) {
            throw new IllegalArgumentException("an 8-bit destination is 0-255, not " + destination);
        }
    }

    /** A message from an I/O source (IOAPIC, MSI): 8-bit destination, no shorthand, asserted. */
    public static ApicMessage io(int destination, boolean logical, DeliveryMode mode, int vector, boolean levelTriggered) {
        return new ApicMessage(destination, logical, mode, vector, levelTriggered, true, Shorthand.NONE, false);
    }

    /**
     * Decodes what an ICR write sends (SDM 10.6.1; 10.12.9 for x2APIC): {@code low} holds the vector, delivery mode,
     * destination mode, level, trigger mode and shorthand; {@code destination} is ICR bits 63:56 (xAPIC) or 63:32
     * (x2APIC). Only a level-triggered message with the level bit clear is a de-assertion; Linux leaves the level
     * bit clear on its edge-triggered IPIs.
     */
    public static ApicMessage fromIcr(int low, int destination, boolean x2apic) {
        boolean level = (low & TRIGGER_LEVEL) != 0;
        return new ApicMessage(destination, (low & ICR_DESTINATION_LOGICAL) != 0, DeliveryMode.of(low >>> DELIVERY_MODE_SHIFT),
                low & 0xff, level, !level || (low & LEVEL_ASSERT) != 0, Shorthand.of(low >>> 18), x2apic);
    }

    /** Whether a write to {@code address} is an interrupt message rather than a memory write. */
    public static boolean isMsiAddress(long address) {
        return (address & ~0xfffffL) == MSI_WINDOW; // and nothing above bit 31: no x2APIC extended destination
    }

    /**
     * Decodes a PCI MSI/MSI-X message (SDM 10.11): the address gives the destination and its mode, the data the
     * vector, delivery mode and trigger mode. The redirection hint (address bit 3) is not looked at: the destination
     * mode bit alone decides physical or logical, as QEMU and KVM decode it and as Linux composes its messages (it
     * sets DM for logical destinations and leaves RH clear), and lowest-priority arbitration follows the delivery
     * mode. For an edge-triggered message the level bit does not matter and the message is an assertion.
     *
     * @throws IllegalArgumentException if {@code address} is not in the interrupt window (check {@link #isMsiAddress})
     */
    public static ApicMessage fromMsi(long address, int data) {
        if (!isMsiAddress(address)) {
            throw new IllegalArgumentException("an MSI address is 0xfeexxxxx, not 0x" + Long.toHexString(address));
        }
        boolean level = (data & TRIGGER_LEVEL) != 0;
        return new ApicMessage((int) (address >>> MSI_DESTINATION_SHIFT) & 0xff, (address & MSI_DESTINATION_MODE) != 0,
                DeliveryMode.of(data >>> DELIVERY_MODE_SHIFT), data & 0xff, level, !level || (data & LEVEL_ASSERT) != 0,
                Shorthand.NONE, false);
    }

    /**
     * Whether this message's destination names a local APIC (SDM 10.6.2.1-10.6.2.3; 10.12.10 for x2APIC): physical
     * destinations compare with the APIC id; logical ones with the logical id, a bit per processor in the flat model
     * (xAPIC LDR bits 31:24 with DFR 1111b), a 4-bit cluster and 4 member bits in the cluster model (DFR 0000b), a
     * 16-bit cluster and 16 member bits in x2APIC mode (logical id = the LDR). The shorthand is the bus's business.
     *
     * @param logicalId the LDR (x2APIC) or its bits 31:24 (xAPIC)
     * @param flat      the xAPIC's DFR selects the flat model
     */
    boolean names(int apicId, boolean x2apic, int logicalId, boolean flat) {
        if (isBroadcast()) {
            return true;
        }
        if (!logical) {
            return destination == apicId;
        }
        if (x2apic) { // cluster in bits 31:16, a bit per member in 15:0
            return destination >>> 16 == logicalId >>> 16 && (destination & logicalId & 0xffff) != 0;
        }
        int mda = destination & 0xff;
        return flat ? (mda & logicalId) != 0 : mda >>> 4 == logicalId >>> 4 && (mda & logicalId & 0xf) != 0;
    }

    /** Whether this destination is the broadcast one for its width (physical or logical alike). */
    public boolean isBroadcast() {
        return wide ? destination == X2APIC_BROADCAST : destination == BROADCAST;
    }

    @Override
    public String toString() {
        return mode + " vector 0x" + Integer.toHexString(vector) + (levelTriggered ? " level" : " edge")
                + (assertion ? "" : " de-assert") + " to " + (shorthand != Shorthand.NONE ? shorthand
                : (logical ? "logical 0x" : "physical 0x") + Integer.toHexString(destination));
    }
}
