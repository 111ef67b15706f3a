package dev.corral.controlplane.image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Image;

/**
 * An OCI image config (image-spec {@code config.md}) as far as Corral uses it: the platform, the layers' diff ids and
 * the runtime defaults. Pure: the caller reads the blob.
 */
final class OciImageConfig {

    /** Layer media types nodes can unpack: tar and gzip'd tar, in OCI's and Docker's names. zstd is not supported. */
    static final Set<String> LAYER_MEDIA_TYPES = Set.of(
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.docker.image.rootfs.diff.tar",
            "application/vnd.docker.image.rootfs.diff.tar.gzip");
    /** The largest config blob read: real ones are a few KiB. */
    static final int MAX_BYTES = 1 << 20;
    private static final Pattern DIFF_ID = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern NUMERIC_USER = Pattern.compile("[0-9]{1,10}(:[0-9]{1,10})?");

    /** The config cannot be used; the message is the sentence for the problem's detail. */
    static final class NotUsableException extends Exception {
        NotUsableException(String message) {
            super(message);
        }
    }

    private OciImageConfig() {
    }

    static boolean gzipped(String mediaType) {
        return mediaType.endsWith("+gzip") || mediaType.endsWith(".gzip");
    }

    /**
     * The image with what its config says filled in: each layer's diffId (in order) and the runtime defaults.
     *
     * @param layers the layers as sent, sizes already resolved
     */
    static Image.ContainerImage read(ObjectMapper json, byte[] configBytes, Image.BlobRef config, List<Image.Layer> layers)
            throws NotUsableException {
        JsonNode root;
        try {
            root = json.readTree(configBytes);
        } catch (IOException e) {
            throw new NotUsableException("the image config (blob " + config.sha256() + ") is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new NotUsableException("the image config (blob " + config.sha256() + ") is not a JSON object");
        }
        String os = root.path("os").asText("");
        String arch = root.path("architecture").asText("");
        if (!os.equals("linux") || !arch.equals("amd64")) {
            throw new NotUsableException("the image is for " + (os.isEmpty() ? "?" : os) + "/" + (arch.isEmpty() ? "?" : arch)
                    + "; nodes run linux/amd64 images");
        }
        var rootfs = root.path("rootfs");
        if (!"layers".equals(rootfs.path("type").asText()) || !rootfs.path("diff_ids").isArray()) {
            throw new NotUsableException("the image config has no rootfs of type layers with diff_ids");
        }
        var diffIds = new ArrayList<String>();
        for (JsonNode d : rootfs.path("diff_ids")) {
            if (!d.isTextual() || !DIFF_ID.matcher(d.asText()).matches()) {
                throw new NotUsableException("the image config's rootfs.diff_ids holds '" + d + "', not sha256:<64 hex digits>");
            }
            diffIds.add(d.asText());
        }
        if (diffIds.size() != layers.size()) {
            throw new NotUsableException("the image has " + layers.size() + " layers but its config lists " + diffIds.size()
                    + " diff_ids");
        }
        var resolved = new ArrayList<Image.Layer>();
        for (int i = 0; i < layers.size(); i++) {
            var layer = layers.get(i);
            if (!gzipped(layer.mediaType()) && !diffIds.get(i).equals("sha256:" + layer.sha256())) {
                // An uncompressed layer is its own diff: anything else means the config describes other layers.
                throw new NotUsableException("layer " + i + " (blob " + layer.sha256() + ") is an uncompressed tar, so its diff_id must be sha256:"
                        + layer.sha256() + ", but the config says " + diffIds.get(i));
            }
            resolved.add(new Image.Layer(layer.sha256(), layer.size(), layer.mediaType(), diffIds.get(i)));
        }
        var c = root.path("config");
        String user = text(c, "User");
        if (user != null && !user.isEmpty() && !NUMERIC_USER.matcher(user).matches()) {
            throw new NotUsableException("the image's User is '" + user + "'; only numeric uid[:gid] users are supported");
        }
        String workingDir = text(c, "WorkingDir");
        if (workingDir != null && !workingDir.isEmpty() && !workingDir.startsWith("/")) {
            throw new NotUsableException("the image's WorkingDir '" + workingDir + "' is not an absolute path");
        }
        return new Image.ContainerImage(config, resolved, strings(c, "Entrypoint"), strings(c, "Cmd"), strings(c, "Env"),
                workingDir == null || workingDir.isEmpty() ? null : workingDir, user == null || user.isEmpty() ? null : user);
    }

    private static String text(JsonNode config, String field) {
        var v = config.path(field);
        return v.isTextual() ? v.asText() : null;
    }

    private static List<String> strings(JsonNode config, String field) throws NotUsableException {
        var v = config.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isArray()) {
            throw new NotUsableException("the image config's " + field + " is not a list of strings");
        }
        var list = new ArrayList<String>();
        for (JsonNode s : v) {
            if (!s.isTextual()) {
                throw new NotUsableException("the image config's " + field + " holds " + s + ", not a string");
            }
            list.add(s.asText());
        }
        return list.isEmpty() ? null : List.copyOf(list);
    }
}
