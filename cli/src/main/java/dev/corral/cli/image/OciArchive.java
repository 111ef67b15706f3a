package dev.corral.cli.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A container image archive on disk: an OCI image layout in a tar ({@code oci-layout}, {@code index.json},
 * {@code blobs/sha256/...}, what {@code skopeo copy ... oci-archive:} writes) or a {@code docker save} archive
 * ({@code manifest.json}, a config and layer tars). Unpacked into a scratch directory, then read: the one
 * linux/amd64 image it holds (or the one {@code ref} names), its config and its layers, each checked against its
 * digest (and size) before anything is uploaded.
 */
public final class OciArchive {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final Pattern DIGEST = Pattern.compile("sha256:([0-9a-f]{64})");
    private static final long MAX_JSON = 4 << 20;

    /** The archive cannot be imported; the message says what is wrong with it. */
    public static final class BadArchiveException extends IOException {
        public BadArchiveException(String message) {
            super(message);
        }
    }

    /** A blob of the image: a file in the scratch directory, its sha256 (checked) and its media type. */
    public record Blob(Path file, String sha256, long size, String mediaType) {
    }

    /**
     * The image read from an archive.
     *
     * @param name a name for the Image, from the archive's reference annotation or tag; null when it has none
     */
    public record Contents(Blob config, List<Blob> layers, String name) {
    }

    private final ObjectMapper json;

    public OciArchive(ObjectMapper json) {
        this.json = json;
    }

    /**
     * Unpacks {@code archive} into {@code scratch} and reads the image in it.
     *
     * @param ref the image to take when the archive holds several (an OCI ref name or a docker tag); null: the only one
     */
    public Contents read(Path archive, Path scratch, String ref) throws IOException {
        unpack(archive, scratch);
        if (Files.isRegularFile(scratch.resolve("index.json")) && Files.isRegularFile(scratch.resolve("oci-layout"))) {
            return readLayout(scratch, ref);
        }
        if (Files.isRegularFile(scratch.resolve("manifest.json"))) {
            return readDockerSave(scratch, ref);
        }
        throw new BadArchiveException(archive + " is neither an OCI image layout (oci-layout, index.json) nor a docker save archive (manifest.json)");
    }

    /** Every file of the tar under {@code scratch}; names that would leave it, and links, are refused. */
    private static void unpack(Path archive, Path scratch) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
             var tar = new TarArchiveInputStream(in)) {
            boolean any = false;
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                any = true;
                String name = safeName(e.getName());
                if (name.isEmpty()) {
                    continue;
                }
                Path target = scratch.resolve(name);
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink() || e.isLink()) {
                    // docker save links identical layers to each other: keep a copy of the target's bytes.
                    Path source = e.isLink() ? scratch.resolve(safeName(e.getLinkName()))
                            : target.getParent().resolve(e.getLinkName()).normalize();
                    if (!source.startsWith(scratch) || !Files.isRegularFile(source)) {
                        throw new BadArchiveException("the archive's link " + e.getName() + " -> " + e.getLinkName()
                                + " names no file of the archive before it");
                    }
                    Files.createDirectories(target.getParent());
                    Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                } else if (e.getLinkFlag() == TarArchiveEntry.LF_NORMAL || e.getLinkFlag() == TarArchiveEntry.LF_OLDNORM) {
                    Files.createDirectories(target.getParent());
                    try (OutputStream out = Files.newOutputStream(target)) {
                        tar.transferTo(out);
                    }
                } else {
                    throw new BadArchiveException("the archive's entry " + e.getName() + " is not a file or a directory");
                }
            }
            if (!any) {
                throw new BadArchiveException(archive + " is not a tar archive (or is empty)");
            }
        } catch (BadArchiveException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            throw new BadArchiveException(archive + " is not a readable tar archive: " + e.getMessage());
        }
    }

    static String safeName(String name) throws BadArchiveException {
        var parts = new ArrayList<String>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                throw new BadArchiveException("the archive's entry " + name + " leaves the archive (it has a '..' component)");
            }
            parts.add(p);
        }
        return String.join("/", parts);
    }

    private Contents readLayout(Path dir, String ref) throws IOException {
        JsonNode index = readJson(dir.resolve("index.json"), "index.json");
        JsonNode chosen = choose(dir, index, ref, 0);
        var manifest = blob(dir, chosen, "the manifest");
        JsonNode m = readJson(manifest.file(), "the manifest " + manifest.sha256());
        var config = blob(dir, m.path("config"), "the config");
        var layers = new ArrayList<Blob>();
        int i = 0;
        for (JsonNode layer : m.path("layers")) {
            layers.add(blob(dir, layer, "layer " + i++));
        }
        if (layers.isEmpty()) {
            throw new BadArchiveException("the manifest " + manifest.sha256() + " lists no layers");
        }
        String name = chosen.path("annotations").path("org.opencontainers.image.ref.name").asText(null);
        return new Contents(config, layers, name);
    }

    /** The manifest to import from an index: the one {@code ref} names, else the only linux/amd64 one. */
    private JsonNode choose(Path dir, JsonNode index, String ref, int depth) throws IOException {
        var candidates = new ArrayList<JsonNode>();
        for (JsonNode m : index.path("manifests")) {
            String refName = m.path("annotations").path("org.opencontainers.image.ref.name").asText(null);
            if (ref != null && refName != null && !ref.equals(refName)) {
                continue;
            }
            var platform = m.path("platform");
            if (platform.isObject() && !("linux".equals(platform.path("os").asText()) && "amd64".equals(platform.path("architecture").asText()))) {
                continue;
            }
            candidates.add(m);
        }
        if (candidates.isEmpty()) {
            throw new BadArchiveException("the archive holds no linux/amd64 image" + (ref != null ? " named " + ref : ""));
        }
        if (candidates.size() > 1) {
            throw new BadArchiveException("the archive holds " + candidates.size() + " images: say which with --ref (its org.opencontainers.image.ref.name)");
        }
        JsonNode m = candidates.getFirst();
        String type = m.path("mediaType").asText("");
        if (type.equals(OCI_INDEX) || type.equals(DOCKER_LIST)) {
            if (depth > 2) {
                throw new BadArchiveException("the archive's indexes nest too deep");
            }
            var nested = blob(dir, m, "an index");
            JsonNode chosen = choose(dir, readJson(nested.file(), "index " + nested.sha256()), null, depth + 1);
            if (!chosen.path("annotations").has("org.opencontainers.image.ref.name") && m.path("annotations").has("org.opencontainers.image.ref.name")) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) chosen).set("annotations", m.path("annotations"));
            }
            return chosen;
        }
        if (!type.isEmpty() && !type.equals(OCI_MANIFEST) && !type.equals(DOCKER_MANIFEST)) {
            throw new BadArchiveException("the archive's manifest has media type " + type + ", not an image manifest");
        }
        return m;
    }

    /** A descriptor's blob ({@code blobs/sha256/<hex>}), its digest and size checked. */
    private static Blob blob(Path dir, JsonNode descriptor, String what) throws IOException {
        var m = DIGEST.matcher(descriptor.path("digest").asText(""));
        if (!m.matches()) {
            throw new BadArchiveException(what + " has digest '" + descriptor.path("digest").asText("") + "', not sha256:<64 hex digits>");
        }
        String sha = m.group(1);
        Path file = dir.resolve("blobs/sha256").resolve(sha);
        if (!Files.isRegularFile(file)) {
            throw new BadArchiveException(what + " (sha256:" + sha + ") is not in the archive");
        }
        String actual = sha256(file);
        if (!actual.equals(sha)) {
            throw new BadArchiveException(what + " should have sha256 " + sha + " but the archive's blob has " + actual);
        }
        long size = Files.size(file);
        if (descriptor.has("size") && descriptor.path("size").asLong(-1) != size) {
            throw new BadArchiveException(what + " (sha256:" + sha + ") should be " + descriptor.path("size").asLong() + " bytes but is " + size);
        }
        return new Blob(file, sha, size, descriptor.path("mediaType").asText(null));
    }

    private Contents readDockerSave(Path dir, String ref) throws IOException {
        JsonNode manifest = readJson(dir.resolve("manifest.json"), "manifest.json");
        var chosen = new ArrayList<JsonNode>();
        for (JsonNode image : manifest) {
            boolean tagged = false;
            for (JsonNode tag : image.path("RepoTags")) {
                tagged |= tag.asText().equals(ref);
            }
            if (ref == null || tagged) {
                chosen.add(image);
            }
        }
        if (chosen.size() != 1) {
            throw new BadArchiveException(chosen.isEmpty() ? "the archive holds no image" + (ref != null ? " tagged " + ref : "")
                    : "the archive holds " + chosen.size() + " images: say which with --ref (one of its RepoTags)");
        }
        JsonNode image = chosen.getFirst();
        var config = file(dir, image.path("Config").asText(""), "the config", null);
        var layers = new ArrayList<Blob>();
        int i = 0;
        for (JsonNode layer : image.path("Layers")) {
            var f = file(dir, layer.asText(), "layer " + i++, null);
            String type = gzipped(f.file()) ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : "application/vnd.docker.image.rootfs.diff.tar";
            layers.add(new Blob(f.file(), f.sha256(), f.size(), type));
        }
        if (layers.isEmpty()) {
            throw new BadArchiveException("the archive's image lists no layers");
        }
        String name = null;
        for (JsonNode tag : image.path("RepoTags")) {
            name = tag.asText();
            break;
        }
        return new Contents(config, layers, name);
    }

    private static Blob file(Path dir, String name, String what, String mediaType) throws IOException {
        if (name.isEmpty()) {
            throw new BadArchiveException(what + " is not named in manifest.json");
        }
        Path file = dir.resolve(safeName(name));
        if (!Files.isRegularFile(file)) {
            throw new BadArchiveException(what + " (" + name + ") is not in the archive");
        }
        String sha = sha256(file);
        // docker save names blobs by their digest (blobs/sha256/<hex>, or <hex>.json for the config): hold it to that.
        String base = file.getFileName().toString().replaceFirst("\\.json$", "");
        if (base.matches("[0-9a-f]{64}") && !base.equals(sha)) {
            throw new BadArchiveException(what + " (" + name + ") is named by sha256 " + base + " but has " + sha);
        }
        return new Blob(file, sha, Files.size(file), mediaType);
    }

    private static boolean gzipped(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(2);
            return magic.length == 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
        }
    }

    private JsonNode readJson(Path file, String what) throws IOException {
        if (Files.size(file) > MAX_JSON) {
            throw new BadArchiveException(what + " is " + Files.size(file) + " bytes: too large to be JSON an image needs");
        }
        try {
            return json.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadArchiveException(what + " is not JSON: " + e.getMessage());
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
