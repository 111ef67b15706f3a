package dev.corral.engine.devices.apic;

import dev.corral.engine.machine.DeviceException;

/**
 * A local APIC refused an RDMSR or WRMSR (a read-only or write-only x2APIC register, a reserved bit set, an x2APIC
 * register while not in x2APIC mode, an invalid IA32_APIC_BASE transition). The CPU turns it into #GP(0), as the
 * SDM specifies for each of these cases; the message says which rule was broken.
 */
public final class MsrAccessRefused extends DeviceException {
    public MsrAccessRefused(String message) {
        super(message);
    }
}
