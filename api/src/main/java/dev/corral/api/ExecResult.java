package dev.corral.api;

/**
 * How a process run in a container ended.
 *
 * @param exitCode  its exit status, or 128 + the signal that killed it (137 when killed at its timeout)
 * @param output    what it wrote to stdout and stderr, interleaved, as UTF-8 (invalid sequences replaced)
 * @param truncated the output was longer than the 1 MiB kept: only its first MiB is here
 * @param timedOut  it ran past its timeout and was killed
 */
public record ExecResult(int exitCode, String output, boolean truncated, boolean timedOut) {
}
