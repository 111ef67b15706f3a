package dev.corral.agent.container;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import dev.corral.agent.runtime.ImageCache;
import dev.corral.api.Image;

/**
 * Image layers unpacked on this node, each once, by the sha256 of its blob: {@code <dir>/<sha256>/} is the layer's
 * file tree, ready to be a lower directory of any number of overlay roots. A layer is unpacked beside its final name
 * and renamed into place whole, so a half-unpacked layer is never used; leftovers of an interrupted unpack are
 * removed when the store opens. Layers are never changed once in place (containers read them through their overlays).
 * A layer's files are on the disk before its rename, and the rename before it is used: a layer found in place is
 * never unpacked again, so one that a power loss left with empty or holed files would back every container of its
 * image for good.
 */
public final class LayerStore {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final String PARTIAL = ".partial-";

    private final Path directory;
    private final ImageCache blobs;
    private final LayerUnpacker unpacker;
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Flusher flusher;

    /** Puts an unpacked tree's files and directories on the disk. */
    @FunctionalInterface
    interface Flusher {
        void flush(Path tree) throws IOException, InterruptedException;
    }

    /** @param maxLayerBytes the most content one layer may unpack to */
    public LayerStore(Path directory, ImageCache blobs, long maxLayerBytes) {
        this(directory, blobs, maxLayerBytes, LayerStore::syncFileSystem);
    }

    LayerStore(Path directory, ImageCache blobs, long maxLayerBytes, Flusher flusher) {
        this.directory = directory;
        this.blobs = blobs;
        this.flusher = flusher;
        this.unpacker = new LayerUnpacker(maxLayerBytes);
        try {
            Files.createDirectories(directory);
            try (var leftovers = Files.list(directory)) {
                for (Path p : leftovers.filter(p -> p.getFileName().toString().contains(PARTIAL)).toList()) {
                    Tree.delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the layer store " + directory + ": " + e.getMessage(), e);
        }
    }

    /**
     * The unpacked layers of an image, lowest first; each fetched and unpacked if this node does not have it yet.
     *
     * @throws LayerUnpacker.BadLayerException a layer is unsafe or not what the image says
     * @throws ImageCache.ImageFetchException  a blob could not be fetched or did not match its digest
     */
    public List<Path> layers(Image.ContainerImage image) throws IOException, InterruptedException {
        var paths = new ArrayList<Path>();
        for (var layer : image.layers()) {
            paths.add(layer(layer));
        }
        return paths;
    }

    Path layer(Image.Layer layer) throws IOException, InterruptedException {
        if (layer.sha256() == null || !SHA256.matcher(layer.sha256()).matches()) {
            throw new LayerUnpacker.BadLayerException("not a layer digest: " + layer.sha256());
        }
        Path done = directory.resolve(layer.sha256());
        synchronized (locks.computeIfAbsent(layer.sha256(), k -> new Object())) {
            if (Files.isDirectory(done)) {
                return done;
            }
            Path blob = blobs.get(layer.sha256());
            Path partial = directory.resolve(layer.sha256() + PARTIAL + UUID.randomUUID());
            Files.createDirectory(partial);
            try {
                String mediaType = layer.mediaType() == null ? "" : layer.mediaType();
                unpacker.unpack(blob, mediaType.endsWith("gzip"), layer.diffId(), partial);
                flusher.flush(partial);
                Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
                forceDirectory(directory);
            } catch (IOException | RuntimeException e) {
                Tree.delete(partial);
                throw e;
            }
            return done;
        }
    }

    /**
     * One {@code syncfs(2)} of the file system that holds {@code tree} ({@code sync -f}, coreutils): a layer is
     * thousands of files, and an fsync of each would cost seconds where this costs one flush of what is dirty.
     */
    static void syncFileSystem(Path tree) throws IOException, InterruptedException {
        var sync = new ProcessBuilder("sync", "-f", tree.toString()).redirectErrorStream(true).start();
        String said = new String(sync.getInputStream().readAllBytes()).strip();
        if (sync.waitFor() != 0) {
            throw new IOException("cannot flush the unpacked layer " + tree + " to the disk: sync -f exited "
                    + sync.exitValue() + (said.isEmpty() ? "" : ": " + said));
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (var channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Whether this node has the layer unpacked (for tests and the bench). */
    public boolean has(String sha256) {
        return Files.isDirectory(directory.resolve(sha256));
    }
}
