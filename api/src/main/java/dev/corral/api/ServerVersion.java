package dev.corral.api;

/**
 * What {@code GET /v1/version} answers: the server's build and the API versions it serves.
 *
 * @param version    the control plane's release, e.g. {@code 0.1.0-SNAPSHOT}
 * @param apiVersion the resource API version, {@code corral/v1}
 */
public record ServerVersion(String version, String apiVersion) {
    public static final String API_VERSION = "corral/v1";
}
