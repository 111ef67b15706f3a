package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A named boot artifact set. Its parts are blobs uploaded to {@code POST /v1/blobs} and addressed by sha256, so
 * agents download and cache each part once.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Image(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public static final String KIND = "Image";

    /**
     * @param kernel       a bzImage or an ELF kernel with a PVH note (required)
     * @param disk         the root disk VMs of this image boot from (each VM gets a copy-on-write overlay of it)
     * @param architecture {@code x86_64} (the only one for now)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(BlobRef kernel, BlobRef initrd, DiskRef disk, String cmdline, String architecture) {
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
