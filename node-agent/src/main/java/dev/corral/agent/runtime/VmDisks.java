package dev.corral.agent.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime.StartException;
import dev.corral.api.Image;
import dev.corral.engine.storage.Backing;
import dev.corral.engine.storage.BlockImage;
import dev.corral.engine.storage.ImageFormat;
import dev.corral.engine.storage.Qcow2Image;
import dev.corral.engine.storage.StorageException;
import dev.corral.engine.vm.VmConfig;
import org.jboss.logging.Logger;

/**
 * The disks of this host's VMs, one directory per VM ({@code <vms>/<uid>/}), made at its first start and kept until
 * it is deleted, so that a stopped and started guest finds what it wrote.
 * <ul>
 * <li>{@code boot.qcow2}: a copy-on-write overlay on the image cache's blob of the image's disk (read-only, never
 * written through the overlay), at the VM's boot size. {@code boot.base} beside it says which blob and format it was
 * made on: later starts keep that base even if the image's disk changed meanwhile, since the overlay's clusters only
 * make sense on top of the bytes they were written over.</li>
 * <li>{@code volume-<name>.qcow2}: empty, thin data disks.</li>
 * </ul>
 * Each file appears whole or not at all (the engine writes a new image beside its name and links it in), so an agent
 * that dies during a first start finds either no disk or a complete empty one. The images are opened for each run and
 * closed (flushed) after the VM is closed; the engine's qcow2 orders its own writes so that a crash mid-run leaves
 * the overlay consistent.
 */
public final class VmDisks {

    private static final Logger LOG = Logger.getLogger(VmDisks.class);
    private static final long GIB = 1L << 30;
    /** A volume's name is its file's name and the serial the guest reads (at most 20 bytes). */
    private static final Pattern VOLUME_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?");
    static final String BOOT = "boot.qcow2";
    static final String BOOT_BASE = "boot.base";

    private final Path root;
    private final ImageCache cache;

    /** @param root the directory of the VMs' directories ({@code <state dir>/vms}) */
    public VmDisks(Path root, ImageCache cache) {
        this.root = root;
        this.cache = cache;
    }

    /** The VM's disks, opened for one run: the caller closes them after closing the VM. */
    public static final class Opened implements AutoCloseable {
        private final List<VmConfig.Disk> disks;

        Opened(List<VmConfig.Disk> disks) {
            this.disks = List.copyOf(disks);
        }

        public List<VmConfig.Disk> disks() {
            return disks;
        }

        /** Flushes and closes every disk; a failure is logged, not thrown (the VM is already gone). */
        @Override
        public void close() {
            for (var disk : disks) {
                try {
                    disk.image().close();
                } catch (StorageException | RuntimeException e) {
                    LOG.warnf("closing disk %s (%s) failed: %s", disk.serial(), disk.image(), e.getMessage());
                }
            }
        }
    }

    /** The VM's directory. */
    public Path directory(String uid) {
        return root.resolve(Desired.fileSafe(uid));
    }

    /**
     * Opens the VM's disks, making those it does not have yet: the boot disk (when the image has a disk) first, then
     * the volumes in order.
     *
     * @param imageDisk the image's {@code spec.disk}; null when it has none
     */
    public Opened open(Desired desired, Image.DiskRef imageDisk) throws StartException, InterruptedException {
        var wanted = desired.disks();
        boolean hasDisk = imageDisk != null && imageDisk.sha256() != null;
        if (!hasDisk && wanted.bootSizeGiB() != null) {
            throw new StartException("InvalidImage", "image " + desired.image() + " has no disk, and the VM asks for a boot disk of "
                    + wanted.bootSizeGiB() + " GiB");
        }
        for (var volume : wanted.volumes()) {
            if (!VOLUME_NAME.matcher(volume.name()).matches() || volume.sizeGiB() < 1) {
                throw new StartException("InvalidSpec", "volume '" + volume.name() + "' of size " + volume.sizeGiB()
                        + " GiB: a volume needs a name of at most 20 lower-case letters, digits and dashes and a size of at least 1 GiB");
            }
        }
        Path dir = directory(desired.uid());
        var opened = new ArrayList<VmConfig.Disk>();
        if (!hasDisk && wanted.volumes().isEmpty()) {
            return new Opened(opened); // nothing to keep: no directory either
        }
        try {
            Files.createDirectories(dir);
            if (hasDisk) {
                opened.add(new VmConfig.Disk(boot(desired, dir, imageDisk), "boot"));
            }
            for (var volume : wanted.volumes()) {
                Path file = dir.resolve("volume-" + volume.name() + ".qcow2");
                if (!Files.exists(file)) {
                    Qcow2Image.create(file, volume.sizeGiB() * GIB);
                }
                opened.add(new VmConfig.Disk(Qcow2Image.open(file, false, Backing.none()), volume.name()));
            }
            return new Opened(opened);
        } catch (ImageCache.ImageFetchException e) {
            new Opened(opened).close();
            throw new StartException("ImageUnavailable", "the disk of image " + desired.image() + " could not be fetched: "
                    + e.getMessage(), e);
        } catch (IOException | StorageException | RuntimeException e) {
            new Opened(opened).close();
            throw new StartException("DiskUnavailable", "the disks of " + desired.subject() + " could not be opened: " + e.getMessage(), e);
        } catch (StartException | InterruptedException e) {
            new Opened(opened).close();
            throw e;
        }
    }

    /** Opens the boot overlay, making it at the first start. */
    private BlockImage boot(Desired desired, Path dir, Image.DiskRef imageDisk)
            throws IOException, StorageException, StartException, InterruptedException {
        Path overlay = dir.resolve(BOOT);
        Path recorded = dir.resolve(BOOT_BASE);
        String sha256;
        ImageFormat format;
        if (Files.exists(overlay) && Files.exists(recorded)) {
            // Made on this base: keep it, whatever the image says now.
            String[] words = Files.readString(recorded, StandardCharsets.US_ASCII).trim().split(" ");
            if (words.length != 2) {
                throw new StorageException(recorded + " does not say which base the boot disk was made on");
            }
            sha256 = words[0];
            format = ImageFormat.parse(words[1]);
            if (!sha256.equals(imageDisk.sha256())) {
                LOG.infof("%s keeps its boot disk on %s; its image's disk is now %s", desired.subject(), sha256, imageDisk.sha256());
            }
        } else {
            sha256 = imageDisk.sha256();
            try {
                format = ImageFormat.parse(imageDisk.format() == null ? "raw" : imageDisk.format());
            } catch (StorageException e) {
                throw new StartException("InvalidImage", "image " + desired.image() + "'s disk: " + e.getMessage(), e);
            }
        }
        Path base = cache.get(sha256);
        if (!Files.exists(overlay)) {
            long baseSize;
            try (var image = format.open(base, true, Backing.none())) {
                baseSize = image.size();
            }
            long size = desired.disks().bootSizeGiB() != null ? desired.disks().bootSizeGiB() * GIB : baseSize;
            if (size < baseSize) {
                throw new StartException("InvalidSpec", "the boot disk of " + desired.disks().bootSizeGiB() + " GiB is smaller than "
                        + "image " + desired.image() + "'s disk of " + baseSize + " bytes");
            }
            // The base first: an overlay on disk always has its record (a crash between the two leaves only the record,
            // which the next first start rewrites).
            writeAtomically(recorded, sha256 + " " + format.qemuName() + "\n");
            // Appears whole or not at all, and never replaces an existing overlay (the engine links a finished file in).
            Qcow2Image.createOverlay(overlay, base, format, size);
            LOG.infof("%s: made its boot disk, %d bytes on %s (%s)", desired.subject(), size, sha256, format.qemuName());
        }
        return Qcow2Image.open(overlay, false, Backing.file(base, format));
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        try (var channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
            channel.force(true);
        }
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Removes the VM's disks (after its last run was closed); nothing to do when it has none. */
    public void delete(String uid) {
        Path dir = directory(uid);
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException e) {
                    // Gone already.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the disks of workload " + uid + " in " + dir + ": " + e.getMessage(), e);
        }
        LOG.debugf("removed the disks of workload %s", uid);
    }
}
