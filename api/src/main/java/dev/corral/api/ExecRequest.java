package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A process to run in a running container ({@code POST /v1/containers/{name}/exec}), without a terminal or input.
 *
 * @param command        the program and its arguments (required)
 * @param timeoutSeconds how long it may run before it is killed (default 30, at most 600)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExecRequest(List<String> command, Integer timeoutSeconds) {
}
