package dev.corral.engine.kvm;

/**
 * One {@code struct kvm_cpuid_entry2}: what CPUID answers for leaf {@code function}, subleaf {@code index}.
 *
 * @param flags KVM_CPUID_FLAG_SIGNIFCANT_INDEX (1) when the subleaf matters: it must travel back to KVM_SET_CPUID2
 *              as KVM_GET_SUPPORTED_CPUID gave it, or KVM answers every subleaf of the leaf with the first one
 */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {

    public static final int FLAG_SIGNIFICANT_INDEX = 1;

    public CpuidEntry withEbx(int value) {
        return new CpuidEntry(function, index, flags, eax, value, ecx, edx);
    }

    public CpuidEntry withEcx(int value) {
        return new CpuidEntry(function, index, flags, eax, ebx, value, edx);
    }

    public CpuidEntry withEdx(int value) {
        return new CpuidEntry(function, index, flags, eax, ebx, ecx, value);
    }

    public CpuidEntry withEax(int value) {
        return new CpuidEntry(function, index, flags, value, ebx, ecx, edx);
    }
}
