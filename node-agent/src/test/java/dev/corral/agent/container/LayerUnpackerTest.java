package dev.corral.agent.container;

import static dev.corral.agent.container.TestLayers.dir;
import static dev.corral.agent.container.TestLayers.file;
import static dev.corral.agent.container.TestLayers.symlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unpacking untrusted layers (as root, like the agent: owners, whiteout devices and trusted.* attributes). */
class LayerUnpackerTest {

    @TempDir
    Path dir;

    private final LayerUnpacker unpacker = new LayerUnpacker(1 << 20);

    private Path unpack(byte[] tar) throws Exception {
        return unpack(tar, false);
    }

    private Path unpack(byte[] tar, boolean gzip) throws Exception {
        Path blob = dir.resolve("blob");
        Files.write(blob, gzip ? TestLayers.gzip(tar) : tar);
        Path target = Files.createDirectory(dir.resolve("layer"));
        unpacker.unpack(blob, gzip, "sha256:" + TestLayers.sha256(tar), target);
        return target;
    }

    @Test
    void filesDirectoriesLinksModesAndOwnersAreKept() throws Exception {
        byte[] tar = TestLayers.tar(t -> {
            dir(t, "./etc");
            file(t, "./etc/passwd", 0644, "root:x:0:0\n".getBytes());
            file(t, "usr/bin/tool", 04755, "#!/bin/sh\n".getBytes());
            symlink(t, "usr/bin/alias", "tool");
            symlink(t, "bin", "/usr/bin"); // absolute: resolved inside the container's root, not the host's
            var owned = new TarArchiveEntry("home/app/");
            owned.setIds(1000, 1000);
            TestLayers.entry(t, owned);
            var hard = new TarArchiveEntry("etc/passwd.bak", TarArchiveEntry.LF_LINK);
            hard.setLinkName("etc/passwd");
            TestLayers.entry(t, hard);
        });
        Path layer = unpack(tar, true);
        assertThat(layer.resolve("etc/passwd")).hasContent("root:x:0:0");
        assertThat(Files.getAttribute(layer.resolve("usr/bin/tool"), "unix:mode")).isEqualTo(0100000 | 04755);
        assertThat(Files.readSymbolicLink(layer.resolve("usr/bin/alias"))).isEqualTo(Path.of("tool"));
        assertThat(Files.readSymbolicLink(layer.resolve("bin"))).isEqualTo(Path.of("/usr/bin"));
        assertThat(Files.getAttribute(layer.resolve("home/app"), "unix:uid")).isEqualTo(1000);
        assertThat(Files.getAttribute(layer.resolve("etc/passwd.bak"), "unix:nlink")).isEqualTo(2);
    }

    @Test
    void whiteoutsBecomeOverlayWhiteoutsAndOpaqueDirsAreMarked() throws Exception {
        byte[] tar = TestLayers.tar(t -> {
            dir(t, "etc");
            file(t, "etc/.wh.motd", 0644, new byte[0]);
            dir(t, "var/cache");
            file(t, "var/cache/.wh..wh..opq", 0644, new byte[0]);
        });
        Path layer = unpack(tar);
        Path whiteout = layer.resolve("etc/motd");
        assertThat(Files.getAttribute(whiteout, "unix:mode", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0020000); // char device
        assertThat(Files.getAttribute(whiteout, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0L);
        assertThat(layer.resolve("etc/.wh.motd")).doesNotExist();
        assertThat(opaque(layer.resolve("var/cache"))).isTrue();
        assertThat(layer.resolve("var/cache/.wh..wh..opq")).doesNotExist();
    }

    /** Reads trusted.overlay.opaque through an overlay mount's view of it: a lower dir marked opaque hides what is below. */
    private boolean opaque(Path d) throws Exception {
        Path lower = Files.createDirectories(dir.resolve("below/var/cache"));
        Files.writeString(lower.resolve("hidden"), "x");
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path work = Files.createDirectories(dir.resolve("work"));
        Path merged = Files.createDirectories(dir.resolve("merged"));
        HostCalls.mountOverlay(merged, "lowerdir=" + d.getParent().getParent() + ":" + dir.resolve("below") + ",upperdir=" + upper
                + ",workdir=" + work);
        try {
            return Files.isDirectory(merged.resolve("var/cache")) && !Files.exists(merged.resolve("var/cache/hidden"));
        } finally {
            HostCalls.unmount(merged);
        }
    }

    @Test
    void aPathWithDotDotIsRefused() {
        byte[] tar = TestLayers.tar(t -> file(t, "etc/../../escape", 0644, "x".getBytes()));
        assertThatThrownBy(() -> unpack(tar)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessageContaining("etc/../../escape").hasMessageContaining("'..'");
        assertThat(dir.getParent().resolve("escape")).doesNotExist();
    }

    @Test
    void aRelativeSymlinkThatClimbsOutOfTheRootIsRefused() {
        byte[] tar = TestLayers.tar(t -> symlink(t, "etc/evil", "../../../../etc/shadow"));
        assertThatThrownBy(() -> unpack(tar)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessageContaining("symlink etc/evil -> ../../../../etc/shadow points outside the root file system");
    }

    @Test
    void writingThroughASymlinkIsRefused() {
        Path outside = dir.resolve("outside");
        byte[] tar = TestLayers.tar(t -> {
            symlink(t, "link", "/" + outside.toString().substring(1)); // absolute: harmless in a container, fatal if followed here
            file(t, "link/planted", 0644, "x".getBytes());
        });
        assertThatThrownBy(() -> unpack(tar)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessageContaining("would be written through the symlink link");
        assertThat(outside.resolve("planted")).doesNotExist();
    }

    @Test
    void deviceNodesAreRefused() {
        byte[] tar = TestLayers.tar(t -> {
            var dev = new TarArchiveEntry("dev/sda", TarArchiveEntry.LF_BLK);
            dev.setDevMajor(8);
            TestLayers.entry(t, dev);
        });
        assertThatThrownBy(() -> unpack(tar)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessageContaining("device node dev/sda (8:0): layers may not create devices");
    }

    @Test
    void aLayerThatIsNotItsDiffIdIsRefused() throws Exception {
        byte[] tar = TestLayers.tar(t -> file(t, "a", 0644, "x".getBytes()));
        Path blob = dir.resolve("blob");
        Files.write(blob, tar);
        Path target = Files.createDirectory(dir.resolve("layer"));
        String other = "sha256:" + "0".repeat(64);
        assertThatThrownBy(() -> unpacker.unpack(blob, false, other, target)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessageContaining("not the image config's diff_id " + other);
    }

    @Test
    void moreContentThanTheLimitIsRefused() {
        byte[] tar = TestLayers.tar(t -> file(t, "big", 0644, new byte[(1 << 20) + 1]));
        assertThatThrownBy(() -> unpack(tar)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessageContaining("more than 1048576 bytes");
    }

    @Test
    void whatFollowsTheEndOfTheArchiveCountsTowardTheLimit() {
        // A small tar and 4 MiB of zeros after its end-of-archive blocks: a few KiB gzip'd, read through for the diff id.
        byte[] small = TestLayers.tar(t -> file(t, "a", 0644, "x".getBytes()));
        byte[] padded = java.util.Arrays.copyOf(small, small.length + (4 << 20));
        assertThatThrownBy(() -> unpack(padded, true)).isInstanceOf(LayerUnpacker.BadLayerException.class)
                .hasMessage("the layer unpacks to more than 1048576 bytes");
    }

    @Test
    void garbageIsNotATar() {
        assertThatThrownBy(() -> unpack("not a tar at all".repeat(64).getBytes(), true))
                .isInstanceOf(LayerUnpacker.BadLayerException.class).hasMessageContaining("not a readable gzip'd tar");
    }
}
