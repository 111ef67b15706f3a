package dev.corral.api;

/**
 * The body of {@code POST /v1/vms/{name}/stop} (optional).
 *
 * @param timeoutSeconds how long the guest gets to shut down before it is forced off (default: the spec's, else 30)
 * @param force          skip the graceful shutdown
 */
public record StopRequest(Integer timeoutSeconds, Boolean force) {
}
