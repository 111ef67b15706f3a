package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime.StartException;
import dev.corral.api.Image;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A VM's disks on real files through the engine's qcow2: made once, kept across runs, removed with the VM. */
class VmDisksTest {

    private static final long MIB = 1 << 20;

    @TempDir
    Path state;

    private final TestBlobs blobs = new TestBlobs();
    private ImageCache cache;
    private VmDisks disks;
    private byte[] base;
    private String baseSha;

    @BeforeEach
    void setUp() {
        cache = new ImageCache(state.resolve("images"), blobs);
        disks = new VmDisks(state.resolve("vms"), cache);
        base = new byte[(int) (2 * MIB)];
        for (int i = 0; i < base.length; i++) {
            base[i] = (byte) (i * 7 + 3);
        }
        baseSha = blobs.put(base);
    }

    private static Desired vm(Integer bootSizeGiB, List<Desired.Volume> volumes) {
        return new Desired("VM", "0f8e1c2a-7b6d-4e5f-9a1b-2c3d4e5f6a7b", "web-1", "default", 1, 1, 32, "debian", null, true, "",
                List.of(), 0, 30, new Desired.Disks(bootSizeGiB, volumes), null, 3L);
    }

    private Image.DiskRef rawDisk() {
        return new Image.DiskRef(baseSha, (long) base.length, "raw", (long) base.length);
    }

    @Test
    void bootOverlayIsMadeAtTheFirstStartAndAWriteThroughOneRunIsThereInTheNext() throws Exception {
        var desired = vm(1, List.of(new Desired.Volume("data", 2)));
        var dir = disks.directory(desired.uid());
        try (var first = disks.open(desired, rawDisk())) {
            assertThat(first.disks()).extracting(d -> d.serial()).containsExactly("boot", "data");
            var boot = first.disks().get(0).image();
            assertThat(boot.size()).as("the boot size, not the image's").isEqualTo(1L << 30);
            assertThat(first.disks().get(1).image().size()).isEqualTo(2L << 30);
            var read = ByteBuffer.allocate(4096);
            boot.read(MIB, read);
            assertThat(read.array()).as("reads as the image's disk until written")
                    .isEqualTo(Arrays.copyOfRange(base, (int) MIB, (int) MIB + 4096));
            boot.write(MIB, ByteBuffer.wrap("the guest wrote this".getBytes()));
            first.disks().get(1).image().write(0, ByteBuffer.wrap("volume data".getBytes()));
        }
        var made = Files.readAttributes(dir.resolve("boot.qcow2"), java.nio.file.attribute.BasicFileAttributes.class).fileKey();

        try (var second = disks.open(desired, rawDisk())) {
            var read = ByteBuffer.allocate(20);
            second.disks().get(0).image().read(MIB, read);
            assertThat(new String(read.array())).isEqualTo("the guest wrote this");
            var volume = ByteBuffer.allocate(11);
            second.disks().get(1).image().read(0, volume);
            assertThat(new String(volume.array())).isEqualTo("volume data");
        }
        assertThat(Files.readAttributes(dir.resolve("boot.qcow2"), java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .as("the same file, not made again").isEqualTo(made);
        assertThat(ImageCache.digest(cache.get(baseSha))).as("the base is never written").isEqualTo(baseSha);

        disks.delete(desired.uid());
        assertThat(dir).doesNotExist();
        assertThat(ImageCache.digest(cache.get(baseSha))).isEqualTo(baseSha);
    }

    @Test
    void withoutABootSizeTheBootDiskIsAsLargeAsTheImagesDisk() throws Exception {
        try (var opened = disks.open(vm(null, List.of()), rawDisk())) {
            assertThat(opened.disks()).hasSize(1);
            assertThat(opened.disks().getFirst().image().size()).isEqualTo(base.length);
        }
    }

    @Test
    void aBootDiskStaysOnTheBaseItWasMadeOnWhenTheImagesDiskChanges() throws Exception {
        var desired = vm(1, List.of());
        disks.open(desired, rawDisk()).close();
        var other = new byte[(int) MIB];
        String otherSha = blobs.put(other);
        try (var again = disks.open(desired, new Image.DiskRef(otherSha, MIB, "raw", MIB))) {
            var read = ByteBuffer.allocate(16);
            again.disks().getFirst().image().read(0, read);
            assertThat(read.array()).isEqualTo(Arrays.copyOfRange(base, 0, 16));
        }
    }

    @Test
    void aVmWithoutDisksHasNoneAndNoDirectory() throws Exception {
        try (var opened = disks.open(vm(null, List.of()), null)) {
            assertThat(opened.disks()).isEmpty();
        }
        assertThat(state.resolve("vms")).doesNotExist();
    }

    @Test
    void aBootSizeForAnImageWithoutDiskIsAnInvalidImage() {
        assertThatThrownBy(() -> disks.open(vm(4, List.of()), null))
                .isInstanceOfSatisfying(StartException.class, e -> assertThat(e.reason()).isEqualTo("InvalidImage"));
        assertThat(state.resolve("vms")).doesNotExist();
    }

    @Test
    void aBootDiskSmallerThanTheImagesDiskIsRefused() throws Exception {
        // A qcow2 image disk of 2 GiB does not fit a boot disk of 1 GiB.
        Path qcow = state.resolve("big.qcow2");
        dev.corral.engine.storage.Qcow2Image.create(qcow, 2L << 30);
        String bigSha = blobs.put(Files.readAllBytes(qcow));
        assertThatThrownBy(() -> disks.open(vm(1, List.of()), new Image.DiskRef(bigSha, null, "qcow2", null)))
                .isInstanceOfSatisfying(StartException.class, e -> assertThat(e.reason()).isEqualTo("InvalidSpec"));
    }

    @Test
    void aVolumeNameThatIsNoSerialIsRefused() {
        assertThatThrownBy(() -> disks.open(vm(null, List.of(new Desired.Volume("a-name-longer-than-twenty", 1))), rawDisk()))
                .isInstanceOfSatisfying(StartException.class, e -> assertThat(e.reason()).isEqualTo("InvalidSpec"));
        assertThatThrownBy(() -> disks.open(vm(null, List.of(new Desired.Volume("../x", 1))), rawDisk()))
                .isInstanceOfSatisfying(StartException.class, e -> assertThat(e.reason()).isEqualTo("InvalidSpec"));
    }

    @Test
    void anExistingBlobIsNeverReplaced() throws Exception {
        Path blob = cache.get(baseSha);
        var key = Files.readAttributes(blob, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        assertThat(cache.get(baseSha)).isEqualTo(blob);
        assertThat(Files.readAttributes(blob, java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(key);
        assertThat(Files.getPosixFilePermissions(blob)).as("blobs are read-only files").noneMatch(p -> p.name().endsWith("WRITE"));
    }
}
