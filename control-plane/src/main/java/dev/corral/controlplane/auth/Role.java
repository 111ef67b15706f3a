package dev.corral.controlplane.auth;

import java.util.Locale;

/**
 * What a token may do. {@code admin} everything; {@code member} create, change and delete workloads and images in its
 * project (and upload blobs); {@code viewer} read its project; {@code node} register and heartbeat its own node, read
 * its own assignments and what they need (their images and blobs), nothing else.
 */
public enum Role {
    ADMIN, MEMBER, VIEWER, NODE;

    /** The name on the wire and in the database: {@code admin}, {@code member}, ... */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
