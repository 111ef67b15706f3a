package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime;
import dev.corral.api.Image;
import dev.corral.api.ObjectMeta;
import dev.corral.engine.storage.Backing;
import dev.corral.engine.storage.ImageFormat;
import dev.corral.engine.storage.Qcow2Image;
import dev.corral.engine.vm.VmAccelerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine runtime runs the ticker guest (on the software CPU) with its disks: the boot overlay and the volumes are
 * made at the first start, kept by a stop and the next start, and removed with the VM; the image cache's blob under
 * the overlay never changes.
 */
class EngineRuntimeDisksTest {

    private static final String UID = "0f8e1c2a-7b6d-4e5f-9a1b-2c3d4e5f6a7b";

    @TempDir
    Path state;

    private final TestBlobs blobs = new TestBlobs();
    private ImageCache cache;
    private EngineRuntime runtime;
    private String diskSha;
    private Image image;

    @BeforeEach
    void setUp() {
        cache = new ImageCache(state.resolve("images"), blobs);
        runtime = new EngineRuntime((project, name) -> image, cache, VmAccelerator.EMULATED,
                new VmDisks(state.resolve("vms"), cache), VmNetwork.none("tests run without one"));
        var disk = new byte[1 << 20];
        java.util.Arrays.fill(disk, (byte) 0x5a);
        diskSha = blobs.put(disk);
        image = image(new Image.DiskRef(diskSha, (long) disk.length, "raw", (long) disk.length));
    }

    private Image image(Image.DiskRef disk) {
        String kernel = blobs.put(TestBlobs.ticker());
        return new Image("corral.dev/v1", "Image", ObjectMeta.named("ticker"),
                new Image.Spec(new Image.BlobRef(kernel, null), null, disk, "ticks=1 interval=10", "x86_64"));
    }

    private static Desired vm(Integer bootSizeGiB) {
        return new Desired("VM", UID, "web-1", "default", 1, 1, 32, "ticker", null, true, "", List.of(), 0, 30,
                new Desired.Disks(bootSizeGiB, List.of(new Desired.Volume("data", 1))), null, 2L);
    }

    /** Starts the VM, waits until the ticker powers off after its tick, and closes it. */
    private WorkloadRuntime.Ended runOnce(Desired desired) throws Exception {
        var ended = new CompletableFuture<WorkloadRuntime.Ended>();
        var handle = runtime.start(desired, b -> { }, new WorkloadRuntime.Listener() {
            @Override
            public void started(String accelerator) {
            }

            @Override
            public void finished(WorkloadRuntime.Ended e) {
                ended.complete(e);
            }
        });
        try {
            return ended.get(60, TimeUnit.SECONDS);
        } finally {
            handle.close();
        }
    }

    private Path dir() {
        return state.resolve("vms").resolve(UID);
    }

    @Test
    void disksAreMadeAtTheFirstStartKeptByTheNextAndRemovedWithTheVm() throws Exception {
        assertThat(runOnce(vm(1)).reason()).isEqualTo("GuestPoweredOff");
        Path boot = dir().resolve("boot.qcow2");
        assertThat(boot).exists();
        assertThat(dir().resolve("volume-data.qcow2")).exists();
        Object made = Files.readAttributes(boot, BasicFileAttributes.class).fileKey();
        // Between runs (as a guest would have), something is written to the boot disk.
        Path base = cache.get(diskSha);
        try (var overlay = Qcow2Image.open(boot, false, Backing.file(base, ImageFormat.RAW))) {
            assertThat(overlay.size()).isEqualTo(1L << 30);
            overlay.write(4096, ByteBuffer.wrap("kept".getBytes()));
        }

        assertThat(runOnce(vm(1)).reason()).isEqualTo("GuestPoweredOff");
        assertThat(Files.readAttributes(boot, BasicFileAttributes.class).fileKey()).as("reused, not made again").isEqualTo(made);
        try (var overlay = Qcow2Image.open(boot, true, Backing.file(base, ImageFormat.RAW))) {
            var read = ByteBuffer.allocate(8);
            overlay.read(4092, read);
            assertThat(read.array()).containsExactly(0x5a, 0x5a, 0x5a, 0x5a, 'k', 'e', 'p', 't');
        }
        assertThat(ImageCache.digest(base)).as("the base blob is untouched").isEqualTo(diskSha);

        runtime.delete(UID);
        assertThat(dir()).doesNotExist();
        assertThat(ImageCache.digest(base)).isEqualTo(diskSha);
    }

    @Test
    void anInitrdTooLargeForOneArrayIsAnInvalidImageNotAnError() throws Exception {
        // A 3 GiB initrd (sparse) for a VM of 4 GiB: it fits the VM's memory, not one array; reading it was an
        // OutOfMemoryError on the reconciler's thread.
        String sha = "3e".repeat(32);
        try (var file = new java.io.RandomAccessFile(state.resolve("images").resolve(sha).toFile(), "rw")) {
            file.setLength(3L << 30);
        }
        String kernel = blobs.put(TestBlobs.ticker());
        image = new Image("corral.dev/v1", "Image", ObjectMeta.named("ticker"),
                new Image.Spec(new Image.BlobRef(kernel, null), new Image.BlobRef(sha, null), null, "", "x86_64"));
        var big = new Desired("VM", UID, "web-1", "default", 1, 1, 4096, "ticker", null, true, "", List.of(), 0);
        assertThatThrownBy(() -> runOnce(big)).isInstanceOf(WorkloadRuntime.StartException.class)
                .hasMessage("the initrd is 3221225472 bytes; the engine loads kernels and initrds of at most 2147483639 bytes")
                .extracting(e -> ((WorkloadRuntime.StartException) e).reason()).isEqualTo("InvalidImage");
    }

    @Test
    void aBootSizeForAnImageWithoutDiskFailsTheStart() {
        image = image(null);
        assertThatThrownBy(() -> runOnce(vm(2)))
                .isInstanceOfSatisfying(WorkloadRuntime.StartException.class, e -> assertThat(e.reason()).isEqualTo("InvalidImage"));
    }

    @Test
    void aVmThatAsksForANetworkOnANodeWithoutOneFailsToStartAndHoldsNothing() throws Exception {
        var attached = new Desired("VM", UID, "web-1", "default", 1, 1, 32, "ticker", null, true, "", List.of(), 0, 30,
                new Desired.Disks(1, List.of()), new Desired.Network("02:00:00:00:00:01", "10.88.0.5", "10.88.0.0/24"), 1L);
        assertThatThrownBy(() -> runOnce(attached))
                .isInstanceOfSatisfying(WorkloadRuntime.StartException.class, e -> assertThat(e.reason()).isEqualTo("NetworkUnavailable"));
        // Its disks were made and closed again: a later start (or its deletion) finds them whole.
        try (var overlay = Qcow2Image.open(dir().resolve("boot.qcow2"), false, Backing.file(cache.get(diskSha), ImageFormat.RAW))) {
            assertThat(overlay.size()).isEqualTo(1L << 30);
        }
        runtime.delete(UID);
        assertThat(dir()).doesNotExist();
    }
}
