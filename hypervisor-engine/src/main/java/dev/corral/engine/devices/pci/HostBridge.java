package dev.corral.engine.devices.pci;

/**
 * The host bridge at 00:00.0: the function a PCI scan finds first, class 0x0600 (bridge, host). It has no BARs, no
 * interrupt and no chipset registers; it is there because Linux's mechanism #1 probe (pci_sanity_check) accepts
 * the configuration mechanism only if bus 0 holds a host bridge, a VGA device or an Intel/Compaq function.
 *
 * <p>Its IDs are Red Hat's 0x1b36:0x0008, "QEMU PCIe Host bridge", the ID the PCI-SIG-registered vendor 0x1b36
 * allocated for a generic virtual host bridge (pci.ids lists it). Corral has no vendor ID of its own, and this
 * pair, unlike an Intel chipset's (440FX 8086:1237, Q35 8086:29c0), triggers no Linux quirk that would poke
 * chipset registers (PAM, SMRAM, MCH BARs) this bridge does not have.
 */
public final class HostBridge extends PciFunction {

    public static final int VENDOR_ID = 0x1b36;
    public static final int DEVICE_ID = 0x0008;
    public static final int CLASS_HOST_BRIDGE = 0x060000;

    public HostBridge() {
        super(new Identity(VENDOR_ID, DEVICE_ID, 0, CLASS_HOST_BRIDGE, 0x1af4, 0x1100, 0));
    }
}
