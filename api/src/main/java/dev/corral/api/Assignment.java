package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A workload placed on a node, as its agent sees it in {@code GET /v1/nodes/{name}/assignments}: the whole object,
 * so the agent needs no second call.
 *
 * @param kind {@code VM} or {@code Container}; exactly one of {@code vm} and {@code container} is set
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Assignment(String kind, Vm vm, Container container) {
}
