package dev.corral.controlplane.vm;

import java.util.HashSet;
import java.util.List;

import dev.corral.api.Image;
import dev.corral.api.Problem;
import dev.corral.api.Vm;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.store.Names;

/** The rules of a VM's {@code spec.disks} and {@code spec.network}, and the disk space they add up to. Pure. */
final class VmDisks {

    static final long GIB = 1L << 30;
    static final int MAX_BOOT_GIB = 2048;
    static final int MAX_VOLUMES = 7;
    static final int MAX_VOLUME_GIB = 16384;
    /** The guest reads a volume's name as its disk's serial number, which holds 20 bytes; "boot" is the boot disk's. */
    static final int MAX_VOLUME_NAME = 20;
    static final String BOOT_SERIAL = "boot";
    static final String ATTACHED = "attached";
    static final String NONE = "none";

    private VmDisks() {
    }

    /** The rules that need nothing but the spec (400s). */
    static void check(Vm.Spec spec, List<Problem.FieldError> errors) {
        if (spec.network() != null && !spec.network().equals(ATTACHED) && !spec.network().equals(NONE)) {
            errors.add(new Problem.FieldError("spec.network", "must be attached or none"));
        }
        var disks = spec.disks();
        if (disks == null) {
            return;
        }
        if (disks.bootSizeGiB() != null && (disks.bootSizeGiB() < 1 || disks.bootSizeGiB() > MAX_BOOT_GIB)) {
            errors.add(new Problem.FieldError("spec.disks.bootSizeGiB", "must be between 1 and " + MAX_BOOT_GIB));
        }
        var volumes = disks.volumes() == null ? List.<Vm.Volume>of() : disks.volumes();
        if (volumes.size() > MAX_VOLUMES) {
            errors.add(new Problem.FieldError("spec.disks.volumes", "must list at most " + MAX_VOLUMES + " volumes (the boot disk and "
                    + MAX_VOLUMES + " volumes fill a VM's eight disk slots)"));
        }
        var names = new HashSet<String>();
        for (int i = 0; i < volumes.size(); i++) {
            var v = volumes.get(i);
            String field = "spec.disks.volumes[" + i + "]";
            if (v == null) {
                errors.add(new Problem.FieldError(field, "must be a volume with a name and a sizeGiB"));
                continue;
            }
            Names.checkName(field + ".name", v.name(), errors);
            if (v.name() != null && v.name().length() > MAX_VOLUME_NAME) {
                errors.add(new Problem.FieldError(field + ".name", "must be at most " + MAX_VOLUME_NAME
                        + " characters (the guest reads it as the disk's serial number)"));
            }
            if (BOOT_SERIAL.equals(v.name())) {
                errors.add(new Problem.FieldError(field + ".name", "must not be 'boot' (the boot disk's serial number)"));
            }
            if (v.name() != null && !names.add(v.name())) {
                errors.add(new Problem.FieldError(field + ".name", "'" + v.name() + "' is used by an earlier volume; names must be unique"));
            }
            if (v.sizeGiB() == null) {
                errors.add(new Problem.FieldError(field + ".sizeGiB", "is required"));
            } else if (v.sizeGiB() < 1 || v.sizeGiB() > MAX_VOLUME_GIB) {
                errors.add(new Problem.FieldError(field + ".sizeGiB", "must be between 1 and " + MAX_VOLUME_GIB));
            }
        }
    }

    /** The rules that depend on the image (422s): a boot size needs a disk to grow, and cannot shrink it. */
    static void checkAgainstImage(Vm.Spec spec, Image.Spec image) {
        Integer boot = spec.disks() == null ? null : spec.disks().bootSizeGiB();
        if (boot == null) {
            return;
        }
        var disk = image.disk();
        if (disk == null || disk.virtualSizeBytes() == null) {
            throw new UnprocessableException("spec.disks.bootSizeGiB", "is set but Image '" + spec.image() + "' has no disk",
                    "spec.disks.bootSizeGiB is set, but Image '" + spec.image() + "' has no disk to boot from: leave bootSizeGiB out, "
                            + "or use an image with a disk.");
        }
        long min = ceilGiB(disk.virtualSizeBytes());
        if (boot < min) {
            throw new UnprocessableException("spec.disks.bootSizeGiB", "must be at least " + min + " (the image disk's size)",
                    "spec.disks.bootSizeGiB is " + boot + ", smaller than Image '" + spec.image() + "''s disk (" + disk.virtualSizeBytes()
                            + " bytes): it must be at least " + min + ".");
        }
    }

    static long ceilGiB(long bytes) {
        return (bytes + GIB - 1) / GIB;
    }

    /**
     * The disk space the VM is provisioned, in GiB: its boot disk (its bootSizeGiB, or its image disk's size rounded up
     * to whole GiB) plus its volumes; null when it has no disk at all.
     *
     * @param image the VM's image, null when it is gone
     */
    /**
     * The most RAM a VM with disks or a NIC may have: the engine's machine keeps guest RAM below its PCI window (the
     * ECAM at 0xb0000000) until it splits RAM around the hole, and a VM whose RAM reaches it has no PCI devices.
     */
    static final long MAX_MEMORY_WITH_DEVICES_MIB = 0xb0000000L >> 20;

    /** A VM with disks or a network must fit its RAM below the PCI window (a 422 naming the field that sets it). */
    static void checkMemoryWithDevices(Vm.Spec spec, Image.Spec image, long memoryMiB) {
        boolean devices = diskGiB(spec, image) != null || ATTACHED.equals(spec.network());
        if (devices && memoryMiB > MAX_MEMORY_WITH_DEVICES_MIB) {
            String field = spec.instanceType() != null ? "spec.instanceType" : "spec.memoryMiB";
            throw new UnprocessableException(field, "gives " + memoryMiB + " MiB; a VM with disks or a network has at most "
                    + MAX_MEMORY_WITH_DEVICES_MIB + " MiB for now",
                    "This VM has disks or a network, and " + memoryMiB + " MiB of memory: for now such a VM has at most "
                            + MAX_MEMORY_WITH_DEVICES_MIB + " MiB (its RAM must end below the machine's PCI window; docs/0005).");
        }
    }

    static Long diskGiB(Vm.Spec spec, Image.Spec image) {
        var disks = spec.disks();
        Long boot = null;
        if (disks != null && disks.bootSizeGiB() != null) {
            boot = disks.bootSizeGiB().longValue();
        } else if (image != null && image.disk() != null && image.disk().virtualSizeBytes() != null) {
            boot = ceilGiB(image.disk().virtualSizeBytes());
        }
        long volumes = 0;
        boolean anyVolume = false;
        if (disks != null && disks.volumes() != null) {
            for (var v : disks.volumes()) {
                anyVolume = true;
                volumes += v.sizeGiB();
            }
        }
        if (boot == null && !anyVolume) {
            return null;
        }
        return (boot == null ? 0 : boot) + volumes;
    }

    /** {@code spec.network} with its default. */
    static String network(Vm.Spec spec) {
        return spec.network() == null ? NONE : spec.network();
    }
}
