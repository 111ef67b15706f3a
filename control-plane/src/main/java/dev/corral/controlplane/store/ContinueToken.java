package dev.corral.controlplane.store;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import dev.corral.controlplane.problem.InvalidException;

/**
 * The opaque {@code continue} of a paged list: where the next page starts. Keyset pagination on (project, name),
 * so pages stay correct while objects are added or removed between calls.
 */
record ContinueToken(String project, String name) {

    String encode() {
        String raw = "v1\n" + project + "\n" + name;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static ContinueToken decode(String token) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", -1);
            if (parts.length == 3 && parts[0].equals("v1")) {
                return new ContinueToken(parts[1], parts[2]);
            }
        } catch (IllegalArgumentException ignored) {
            // reported below
        }
        throw InvalidException.field("continue", "is not a continue token this server issued");
    }
}
