package dev.corral.agent.container;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

import dev.corral.api.oci.LayerEntries;
import dev.corral.api.oci.LayerStreamLimit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Unpacks one OCI layer (a tar, maybe gzip'd) into a directory that overlayfs can use as a lower layer: OCI whiteouts
 * ({@code .wh.NAME}) become overlayfs whiteouts (a 0:0 character device), an opaque marker ({@code .wh..wh..opq})
 * marks its directory {@code trusted.overlay.opaque=y}. The layer is untrusted: each entry must pass the
 * {@link LayerEntries} rules the control plane already applied at import (a name that leaves the layer ({@code ../}),
 * a write through a symlink, a relative symlink or hard link that points out of the root file system, a device node
 * are refused), checked here again and against the disk; those, or more than {@code maxBytes} of content, are refused
 * with a {@link BadLayerException} that names the entry, and the uncompressed stream must have the config's diff id. Ownership, modes (set-id bits too)
 * and modification times are kept; extended attributes in the tar are not.
 */
final class LayerUnpacker {

    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";

    /** The layer cannot be used; the message says which entry and why. */
    static final class BadLayerException extends IOException {
        BadLayerException(String message) {
            super(message);
        }
    }

    private final long maxBytes;

    LayerUnpacker(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Unpacks {@code blob} into {@code target} (an empty directory).
     *
     * @param diffId {@code sha256:<hex>} the uncompressed tar must hash to
     */
    void unpack(Path blob, boolean gzipped, String diffId, Path target) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        var directories = new ArrayList<TarArchiveEntry>();
        var rules = new LayerEntries();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(blob), 1 << 16);
             InputStream plain = gzipped ? new GZIPInputStream(raw, 1 << 16) : raw;
             var digesting = new DigestInputStream(new LayerStreamLimit(plain, maxBytes), sha);
             var tar = new TarArchiveInputStream(digesting)) {
            long written = 0;
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
                written += regular(entry) ? entry.getSize() : 0;
                if (written > maxBytes) {
                    throw new BadLayerException("the layer holds more than " + maxBytes + " bytes (at " + entry.getName() + ")");
                }
                apply(tar, entry, target, directories, rules);
            }
            // The end-of-archive blocks and any padding after them are part of what the diff id covers.
            digesting.transferTo(OutputStream.nullOutputStream());
        } catch (BadLayerException e) {
            throw e;
        } catch (LayerStreamLimit.TooLargeException e) {
            throw new BadLayerException("the layer " + e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw new BadLayerException("the layer is not a readable " + (gzipped ? "gzip'd " : "") + "tar: " + e.getMessage());
        }
        String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
        if (!actual.equals(diffId)) {
            throw new BadLayerException("the uncompressed layer is " + actual + ", not the image config's diff_id " + diffId);
        }
        // Last, deepest first: a directory's own mode may forbid writing the entries in it.
        for (int i = directories.size() - 1; i >= 0; i--) {
            var d = directories.get(i);
            var path = target.resolve(LayerEntries.relative(d.getName()));
            attributes(path, d);
        }
    }

    private void apply(TarArchiveInputStream tar, TarArchiveEntry entry, Path root, List<TarArchiveEntry> directories,
            LayerEntries rules) throws IOException {
        String name;
        try {
            name = rules.check(entry.getName(), LayerEntries.Type.of(entry.getLinkFlag(), entry.getName()), entry.getLinkName(),
                    entry.isCharacterDevice() || entry.isBlockDevice() ? entry.getDevMajor() + ":" + entry.getDevMinor()
                            : String.valueOf((char) entry.getLinkFlag()));
        } catch (LayerEntries.BadEntryException e) {
            throw new BadLayerException(e.getMessage());
        }
        if (name.isEmpty()) {
            return; // the root itself ("./")
        }
        // The shared rules passed it; what follows checks again against the disk (defence in depth).
        Path path = root.resolve(name);
        checkParents(root, path, entry.getName());
        String base = path.getFileName().toString();
        if (base.equals(OPAQUE_MARKER)) {
            Files.createDirectories(path.getParent());
            HostCalls.setXattr(path.getParent(), "trusted.overlay.opaque", "y");
            return;
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
            Path hidden = path.resolveSibling(base.substring(WHITEOUT_PREFIX.length()));
            Files.createDirectories(path.getParent());
            removeIfPresent(hidden);
            HostCalls.whiteout(hidden);
            return;
        }
        if (entry.isDirectory()) {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                directories.add(entry);
                return;
            }
            removeIfPresent(path);
            Files.createDirectories(path);
            directories.add(entry);
        } else if (entry.isSymbolicLink()) {
            Files.createDirectories(path.getParent());
            removeIfPresent(path);
            Files.createSymbolicLink(path, Path.of(entry.getLinkName()));
            owner(path, entry); // lchown; its time is left alone (setting it would follow the link)
        } else if (entry.isLink()) {
            Path source = root.resolve(LayerEntries.relative(entry.getLinkName()));
            checkParents(root, source, entry.getLinkName());
            if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                throw new BadLayerException("hard link " + entry.getName() + " -> " + entry.getLinkName() + " names nothing earlier in the layer");
            }
            Files.createDirectories(path.getParent());
            removeIfPresent(path);
            Files.createLink(path, source);
        } else if (regular(entry)) {
            Files.createDirectories(path.getParent());
            removeIfPresent(path);
            try (OutputStream out = Files.newOutputStream(path)) {
                tar.transferTo(out);
            }
            attributes(path, entry);
        } else {
            throw new BadLayerException(entry.getName() + " is a tar entry of type '" + (char) entry.getLinkFlag()
                    + "': layers may hold only files, directories and links");
        }
    }

    /** A regular file by its type flag alone (commons-compress's isFile also says yes to other types). */
    private static boolean regular(TarArchiveEntry entry) {
        byte flag = entry.getLinkFlag();
        return flag == TarArchiveEntry.LF_NORMAL || flag == TarArchiveEntry.LF_OLDNORM || flag == TarArchiveEntry.LF_CONTIG;
    }

    /** Refuses a path whose directories include a symlink: writing there would write wherever it points. */
    private static void checkParents(Path root, Path path, String name) throws BadLayerException {
        for (Path p = path.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new BadLayerException("entry " + name + " would be written through the symlink " + root.relativize(p));
            }
        }
    }

    private static void removeIfPresent(Path path) throws IOException {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            Tree.delete(path);
        } else {
            Files.deleteIfExists(path);
        }
    }

    private static void attributes(Path path, TarArchiveEntry entry) throws IOException {
        owner(path, entry);
        HostCalls.chmod(path, entry.getMode());
        Files.setLastModifiedTime(path, FileTime.from(entry.getLastModifiedTime().toInstant()));
    }

    private static void owner(Path path, TarArchiveEntry entry) throws IOException {
        Files.setAttribute(path, "unix:uid", (int) entry.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", (int) entry.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
    }

}
