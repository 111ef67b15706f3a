package dev.corral.api;

/** Content stored by the control plane, addressed by its SHA-256 (64 lowercase hex digits). */
public record Blob(String sha256, long size) {
}
