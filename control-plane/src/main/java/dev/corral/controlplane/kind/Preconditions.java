package dev.corral.controlplane.kind;

import dev.corral.controlplane.problem.ConflictException;
import dev.corral.controlplane.store.StoredObject;

/** {@code If-Match} on writes: the object must still be at the version the client read. */
public final class Preconditions {
    private Preconditions() {
    }

    /** @param ifMatch the header as sent ({@code "42"}, {@code W/"42"}, {@code *} or null) */
    public static void checkIfMatch(String ifMatch, StoredObject current) {
        if (ifMatch == null || ifMatch.isBlank() || ifMatch.strip().equals("*")) {
            return;
        }
        for (String tag : ifMatch.split(",")) {
            String t = tag.strip();
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            // The ETag is the quoted resourceVersion; the bare metadata.resourceVersion is accepted too.
            if (t.equals(current.etag()) || t.equals(String.valueOf(current.resourceVersion()))) {
                return;
            }
        }
        throw ConflictException.staleResourceVersion(current.kind(), current.name(), ifMatch.strip(), current.etag());
    }
}
