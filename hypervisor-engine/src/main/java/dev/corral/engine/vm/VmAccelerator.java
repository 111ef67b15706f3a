package dev.corral.engine.vm;

import java.util.Arrays;
import java.util.Locale;

/**
 * What runs a VM's vCPUs. A VM asks for one in its {@link VmConfig}; {@link VirtualMachine#accelerator()} says which
 * one ran it ({@link #KVM} or {@link #EMULATED}, never {@link #AUTO}).
 */
public enum VmAccelerator {
    /** /dev/kvm (hardware virtualization, or kvm_pvm); a host without it cannot build the VM. */
    KVM("kvm"),
    /** The engine's software x86-64 CPU: runs anywhere, much slower. */
    EMULATED("emulated"),
    /** KVM when /dev/kvm opens and speaks API version 12, else the software CPU. */
    AUTO("auto");

    private final String wireName;

    VmAccelerator(String wireName) {
        this.wireName = wireName;
    }

    /** {@code kvm}, {@code emulated} or {@code auto}: what configurations, the launcher and VM status say. */
    public String wireName() {
        return wireName;
    }

    /** The accelerator named {@code name} (its wire name); a VmException naming the choices otherwise. */
    public static VmAccelerator parse(String name) {
        return Arrays.stream(values()).filter(a -> a.wireName.equals(name.toLowerCase(Locale.ROOT))).findFirst()
                .orElseThrow(() -> new VmException("accelerator '" + name + "' is not one of kvm, emulated, auto"));
    }
}
