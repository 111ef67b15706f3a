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
     * @param image     the name of an Image of this project that holds an OCI container image
     *                  ({@code corral image import})
     * @param command   replaces the image's Entrypoint
     * @param args      replaces the image's Cmd
     * @param env       added to the image's Env (and overriding it)
     * @param cpus      CPU limit in vCPUs (fractions allowed, e.g. 0.5): a CFS quota
     * @param memoryMiB memory limit; a container that exceeds it is OOM-killed
     * @param workingDir replaces the image's WorkingDir
     * @param pidsLimit how many processes and threads the container may have at once (default 1024)
     * @param readOnlyRootFilesystem the root file system is mounted read-only (default false)
     * @param network   {@code none} (the default): its own network namespace with only a loopback interface;
     *                  {@code attached}: also {@code eth0} on its node's network (the VMs' bridge), with an address from
     *                  the node's subnet ({@code status.network.ip}) and a default route to the node
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(String image, List<String> command, List<String> args, Map<String, String> env, Double cpus,
            Long memoryMiB, Map<String, String> nodeSelector, String antiAffinityGroup, String restartPolicy,
            String runState, Integer stopTimeoutSeconds, Instant restartRequestedAt, StopRequest stopRequest,
            String workingDir, Integer pidsLimit, Boolean readOnlyRootFilesystem, String network) {

        /** Without the runtime options (working directory, pids limit, read-only root, network): their defaults. */
        public Spec(String image, List<String> command, List<String> args, Map<String, String> env, Double cpus,
                Long memoryMiB, Map<String, String> nodeSelector, String antiAffinityGroup, String restartPolicy,
                String runState, Integer stopTimeoutSeconds, Instant restartRequestedAt, StopRequest stopRequest) {
            this(image, command, args, env, cpus, memoryMiB, nodeSelector, antiAffinityGroup, restartPolicy, runState,
                    stopTimeoutSeconds, restartRequestedAt, stopRequest, null, null, null, null);
        }
    }
}
