package dev.corral.engine.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * How a qcow2 image's backing file is found. A backing file name inside an image is data from whoever wrote the
 * image: for an uploaded image it may name any file on the host, so it is never followed unless the caller says so.
 */
public sealed interface Backing {

    /** The image must have no backing file: one that names one is refused (uploaded images, data volumes). */
    static Backing none() {
        return None.INSTANCE;
    }

    /**
     * The caller chose the backing image (the agent: a VM's overlay on its image's base): it is opened read-only
     * whatever the name recorded in the overlay, and it may not have a backing file of its own.
     */
    static Backing file(Path path, ImageFormat format) {
        return new Given(path, format);
    }

    /**
     * Follow the names the images record (resolved against the naming image's directory) while each resolves, with
     * symbolic links, inside {@code root}; each name must come with its format (the backing-format header
     * extension); a loop or a chain deeper than {@link Chain#MAX_DEPTH} is refused.
     */
    static Backing within(Path root) {
        return new Chain(root, Set.of(), 0);
    }

    /** No backing file allowed. */
    enum None implements Backing {
        INSTANCE
    }

    /** A backing image chosen by the caller. */
    record Given(Path path, ImageFormat format) implements Backing {
    }

    /** Backing names followed inside a directory tree. */
    record Chain(Path root, Set<Path> visited, int depth) implements Backing {

        public static final int MAX_DEPTH = 16;

        /** The real path of {@code name} (as recorded by the image at {@code image}), checked against this chain. */
        Path resolve(Path image, String name) throws StorageException {
            Path named = Path.of(name);
            Path candidate = named.isAbsolute() ? named : image.toAbsolutePath().getParent().resolve(named);
            Path real;
            Path realRoot;
            try {
                real = candidate.toRealPath();
                realRoot = root.toRealPath();
            } catch (IOException | RuntimeException e) {
                throw new StorageException(image + ": its backing file '" + name + "' cannot be opened: " + e.getMessage(), e);
            }
            if (!real.startsWith(realRoot)) {
                throw new StorageException(image + ": its backing file '" + name + "' is outside " + root
                        + ", where backing files may be");
            }
            if (visited.contains(real)) {
                throw new StorageException(image + ": its backing file '" + name + "' makes a loop in the backing chain");
            }
            if (depth + 1 > MAX_DEPTH) {
                throw new StorageException(image + ": the backing chain is deeper than " + MAX_DEPTH + " images");
            }
            return real;
        }

        /** The policy for the next image down the chain, after {@code image} (a real path). */
        Chain after(Path image) {
            Set<Path> next = new HashSet<>(visited);
            next.add(image);
            return new Chain(root, Set.copyOf(next), depth + 1);
        }
    }
}
