package dev.corral.agent.container;

import static dev.corral.agent.container.TestLayers.file;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.corral.agent.runtime.ImageCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A layer is on the disk, whole, before it is put in place under its digest. */
class LayerStoreTest {

    @TempDir
    Path dir;

    @Test
    void aLayerIsFlushedBeforeItIsRenamedIntoPlace() throws Exception {
        var blobs = new TestLayers();
        var image = blobs.image(List.of(TestLayers.tar(t -> file(t, "etc/motd", 0644, "hello\n".getBytes()))), List.of("/bin/sh"), List.of());
        var layer = image.spec().container().layers().getFirst();
        Path layers = dir.resolve("layers");
        var flushed = new ArrayList<String>();
        var store = new LayerStore(layers, new ImageCache(dir.resolve("images"), blobs), 1 << 20, tree -> {
            // Called on the unpacked tree beside its final name, before the rename.
            assertThat(tree.getFileName().toString()).startsWith(layer.sha256() + ".partial-");
            assertThat(tree.resolve("etc/motd")).hasContent("hello");
            assertThat(layers.resolve(layer.sha256())).doesNotExist();
            flushed.add(tree.getFileName().toString());
        });
        Path done = store.layers(image.spec().container()).getFirst();
        assertThat(done).isEqualTo(layers.resolve(layer.sha256()));
        assertThat(done.resolve("etc/motd")).hasContent("hello");
        assertThat(flushed).hasSize(1);
        store.layers(image.spec().container());
        assertThat(flushed).as("a layer in place is not unpacked or flushed again").hasSize(1);
    }

    @Test
    void theFileSystemIsFlushedWithSyncfs() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Files.writeString(tree.resolve("f"), "x");
        LayerStore.syncFileSystem(tree); // sync -f: exits 0 on a real file system, or the call throws
    }
}
