package dev.corral.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/** An OCI container, scheduled like a VM. Project-scoped. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Container(String apiVersion, String kind, ObjectMeta metadata, Spec spec, WorkloadStatus status) {

    public static final String KIND = "Container";

    /**
     * @param image     an OCI image reference, e.g. {@code docker.io/library/busybox:1.36}
     * @param cpus      CPU limit in vCPUs (fractions allowed, e.g. 0.5)
     * @param memoryMiB memory limit
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(String image, List<String> command, List<String> args, Map<String, String> env, Double cpus,
            Long memoryMiB, Map<String, String> nodeSelector, String antiAffinityGroup, String restartPolicy,
            String runState, Integer stopTimeoutSeconds, Instant restartRequestedAt, StopRequest stopRequest) {
    }
}
