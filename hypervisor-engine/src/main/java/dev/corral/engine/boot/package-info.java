/**
 * Putting a kernel into guest memory the way its boot protocol says, and describing the boot vCPU's registers:
 * Linux bzImages for their 64-bit entry ({@link dev.corral.engine.boot.LinuxBoot}: zero page, e820, command line,
 * initrd, GDT, identity page tables), ELF kernels with a PVH note ({@link dev.corral.engine.boot.PvhBoot}:
 * hvm_start_info), the ACPI tables generated from the machine's description ({@link dev.corral.engine.boot.acpi}),
 * and the MP table for SMP guests. Backend-neutral: the KVM vCPU and the software CPU start from
 * the same {@link dev.corral.engine.boot.EntryState}.
 *
 * <p>Images are untrusted input: every offset and size in them is checked before use, and a malformed or
 * truncated image is a {@link dev.corral.engine.boot.KernelImageException} that says what is wrong.
 */
package dev.corral.engine.boot;
