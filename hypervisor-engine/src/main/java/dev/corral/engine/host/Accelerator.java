package dev.corral.engine.host;

/** How this host can run guest code. The wire names are what nodes report to the control plane. */
public enum Accelerator {
    /** /dev/kvm backed by VT-x or AMD-V: guests run at native speed. */
    KVM_HARDWARE("kvm-hardware"),
    /**
     * /dev/kvm without hardware virtualization (e.g. the {@code kvm_pvm} module): guest user mode runs natively,
     * guest kernel mode goes through KVM's instruction emulator. Small guests only.
     */
    KVM_PVM("kvm-pvm"),
    /** No usable /dev/kvm: only the engine's software CPU can run guests. */
    EMULATED_ONLY("emulated-only");

    private final String wireName;

    Accelerator(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
