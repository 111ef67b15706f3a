package dev.corral.api.oci;

import java.io.IOException;
import java.util.ArrayList;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The rules every entry of an OCI layer tar must follow, in one place for both readers of layers: the control plane
 * checks each layer when an Image is created (so a bad layer is refused at import and nothing is stored), and each
 * node agent checks again while it unpacks (defence in depth: a node trusts no blob). Pure: the caller reads the tar
 * and hands over each entry in order; one instance per layer, because some rules look at earlier entries.
 *
 * <p>Refused: a name with a {@code ..} component or a NUL; a relative symlink whose target climbs above the root file
 * system from where it sits; a hard link whose target leaves the tree or names no earlier file of the layer; an entry
 * written through a symlink of the same layer (it would land wherever the link points); a character or block device,
 * a FIFO or any other special type. Absolute symlinks are allowed: they resolve inside the container's root, and
 * real images are full of them ({@code /bin/sh -> /bin/busybox}).
 */
public final class LayerEntries {

    /** What a tar entry is, by its type flag. */
    public enum Type {
        DIRECTORY, FILE, SYMLINK, HARD_LINK, CHARACTER_DEVICE, BLOCK_DEVICE, FIFO, OTHER;

        /**
         * The type of a ustar entry (POSIX {@code typeflag}) as a tar reader hands it over, after pax and GNU long-name
         * headers are consumed: a regular-file flag on a name ending in {@code /} is an old tar's directory.
         */
        public static Type of(byte flag, String name) {
            return switch (flag) {
                case '5' -> DIRECTORY;
                case '0', 0, '7' -> name.endsWith("/") ? DIRECTORY : FILE;
                case '1' -> HARD_LINK;
                case '2' -> SYMLINK;
                case '3' -> CHARACTER_DEVICE;
                case '4' -> BLOCK_DEVICE;
                case '6' -> FIFO;
                default -> OTHER;
            };
        }
    }

    /** The entry may not be in a layer; the message names it and says why. */
    public static final class BadEntryException extends IOException {
        public BadEntryException(String message) {
            super(message);
        }
    }

    private static final String WHITEOUT_PREFIX = ".wh.";

    /** Symlinks this layer has made so far (names relative to the root), sorted: see {@link #forget}. */
    private final NavigableSet<String> symlinks = new TreeSet<>();
    /** Non-directories this layer has made so far, which a hard link may name; sorted likewise. */
    private final NavigableSet<String> linkable = new TreeSet<>();

    /**
     * Checks the next entry of the layer.
     *
     * @param rawName     the entry's name as the tar says it
     * @param rawLinkName the link target for a symlink or hard link, else ignored
     * @param detail      for devices {@code major:minor}, for {@link Type#OTHER} the type flag; else ignored
     * @return the entry's name relative to the root ({@code ""} for the root itself)
     * @throws BadEntryException the entry may not be in a layer
     */
    public String check(String rawName, Type type, String rawLinkName, String detail) throws BadEntryException {
        String path = relative(rawName);
        // Names in messages are shown with control characters escaped: an error stays one line whatever the tar says.
        String name = printable(rawName);
        String linkName = rawLinkName == null ? null : printable(rawLinkName);
        switch (type) {
            case CHARACTER_DEVICE, BLOCK_DEVICE ->
                    throw new BadEntryException("device node " + name + " (" + detail + "): layers may not create devices");
            case FIFO -> throw new BadEntryException(name + " is a FIFO: layers may hold only files, directories and links");
            case OTHER -> throw new BadEntryException(name + " is a tar entry of type '" + printable(detail)
                    + "': layers may hold only files, directories and links");
            default -> {
            }
        }
        if (path.isEmpty()) {
            return path;
        }
        throughSymlink(path, name);
        String base = path.substring(path.lastIndexOf('/') + 1);
        if (base.startsWith(WHITEOUT_PREFIX)) {
            // A whiteout (or an opaque marker) removes what it names; nothing is made.
            String hidden = parent(path) + base.substring(WHITEOUT_PREFIX.length());
            forget(hidden);
            return path;
        }
        switch (type) {
            case SYMLINK -> {
                if (rawLinkName == null || rawLinkName.isEmpty()) {
                    throw new BadEntryException("symlink " + name + " has an empty target");
                }
                if (!rawLinkName.startsWith("/") && escapes(parentDepth(path), rawLinkName)) {
                    throw new BadEntryException("symlink " + name + " -> " + linkName + " points outside the root file system");
                }
            }
            case HARD_LINK -> {
                String target = rawLinkName == null ? "" : rawLinkName.replaceFirst("^/+", "");
                if (target.isEmpty() || escapes(0, target)) {
                    throw new BadEntryException("hard link " + name + " -> " + linkName + " points outside the root file system");
                }
                String source = relative(target);
                throughSymlink(source, rawLinkName);
                if (!linkable.contains(source)) {
                    throw new BadEntryException("hard link " + name + " -> " + linkName + " names no file earlier in the layer");
                }
            }
            default -> {
            }
        }
        if (type != Type.DIRECTORY || symlinks.contains(path) || linkable.contains(path)) {
            forget(path); // replaced; a directory over a directory keeps what is in it
        }
        if (type == Type.SYMLINK) {
            symlinks.add(path);
        }
        if (type != Type.DIRECTORY) {
            linkable.add(path);
        }
        return path;
    }

    /**
     * The entry's name relative to the root: leading {@code /} and {@code ./} dropped, no {@code ..} anywhere.
     *
     * @throws BadEntryException the name has {@code ..} or a NUL
     */
    public static String relative(String name) throws BadEntryException {
        var parts = new ArrayList<String>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..") || part.indexOf('\0') >= 0) {
                throw new BadEntryException("entry " + printable(name) + " leaves the root file system (it has a '..' component)");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    /** Whether {@code link}, followed from a directory {@code depth} levels below the root, climbs above the root. */
    public static boolean escapes(int depth, String link) {
        for (String part : link.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            depth += part.equals("..") ? -1 : 1;
            if (depth < 0) {
                return true;
            }
        }
        return false;
    }

    private void throughSymlink(String path, String name) throws BadEntryException {
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            String dir = path.substring(0, slash);
            if (symlinks.contains(dir)) {
                throw new BadEntryException("entry " + printable(name) + " would be written through the symlink " + printable(dir));
            }
        }
    }

    /**
     * {@code path} is replaced (or removed): what was there, and below it, is gone. Every file entry comes here, so it
     * must not look at every earlier entry (a layer of 40,000 files took 5.9 s to check, and time grew with the square
     * of the count): the names below {@code path} are exactly those from {@code path + "/"} up to, not including,
     * {@code path + "0"} ('0' follows '/'), one range of each sorted set.
     */
    private void forget(String path) {
        symlinks.remove(path);
        linkable.remove(path);
        symlinks.subSet(path + "/", path + "0").clear();
        linkable.subSet(path + "/", path + "0").clear();
    }

    /** {@code s} with each control character written as {@code \\uXXXX}. */
    static String printable(String s) {
        var out = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private static int parentDepth(String path) {
        return (int) path.chars().filter(c -> c == '/').count();
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash + 1);
    }
}
