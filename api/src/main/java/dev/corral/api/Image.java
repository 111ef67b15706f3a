package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A named boot artifact set, or an OCI container image. Its parts are blobs uploaded to {@code POST /v1/blobs} and
 * addressed by sha256, so agents download and cache each part once.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Image(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public static final String KIND = "Image";

    /**
     * @param kernel       a bzImage or an ELF kernel with a PVH note (required)
     * @param disk         the root disk VMs of this image boot from (each VM gets a copy-on-write overlay of it)
     * @param architecture {@code x86_64} (the only one for now)
     * @param container    an OCI container image (then no kernel, initrd, disk or cmdline): what Containers run
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(BlobRef kernel, BlobRef initrd, DiskRef disk, String cmdline, String architecture, ContainerImage container) {

        /** A VM image. */
        public Spec(BlobRef kernel, BlobRef initrd, DiskRef disk, String cmdline, String architecture) {
            this(kernel, initrd, disk, cmdline, architecture, null);
        }
    }

    /**
     * An OCI image (image-spec v1): its config and its layers, each an uploaded blob whose sha256 is the OCI digest.
     * The client sends {@code config} and {@code layers} (sha256 and mediaType); the server reads the config blob and
     * fills in the rest: each layer's size and {@code diffId} (the sha256 of its uncompressed tar, which nodes verify
     * when they unpack it), and the runtime defaults below.
     *
     * @param entrypoint the config's Entrypoint; a Container's {@code spec.command} replaces it
     * @param cmd        the config's Cmd; a Container's {@code spec.args} replaces it
     * @param env        the config's Env, {@code NAME=value}; a Container's {@code spec.env} adds to it and overrides
     * @param workingDir the config's WorkingDir ({@code /} when empty)
     * @param user       the config's User: a numeric {@code uid[:gid]} (names cannot be resolved without the image's
     *                   /etc/passwd and are refused when a container starts)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ContainerImage(BlobRef config, List<Layer> layers, List<String> entrypoint, List<String> cmd, List<String> env,
            String workingDir, String user) {
    }

    /**
     * One layer of an OCI image.
     *
     * @param mediaType {@code application/vnd.oci.image.layer.v1.tar}, {@code ...tar+gzip} (or Docker's equivalents)
     * @param diffId    {@code sha256:<hex>} of the uncompressed layer, from the image config (filled in by the server)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Layer(String sha256, Long size, String mediaType, String diffId) {
    }

    /**
     * A disk image: uploaded content named by its sha256, and its format. {@code size} (bytes of the file) and
     * {@code virtualSizeBytes} (what the guest sees) are filled in by the server.
     *
     * @param format {@code raw} or {@code qcow2} (without a backing file)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DiskRef(String sha256, Long size, String format, Long virtualSizeBytes) {
    }

    /** A reference to uploaded content; {@code size} is filled in by the server. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BlobRef(String sha256, Long size) {
    }
}
