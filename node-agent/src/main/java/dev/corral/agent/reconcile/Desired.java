package dev.corral.agent.reconcile;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the control plane wants of one workload placed on this node, distilled from its assignment.
 *
 * @param generation    the spec generation (reported back as observedGeneration)
 * @param running       {@code spec.runState} is Running
 * @param restartToken  {@code spec.restartRequestedAt}, or "" when never set: a new value asks for a (re)start
 * @param devices       the host PCI addresses the workload holds
 * @param appliedSequence {@code status.eventSequence}: the last event the control plane applied; this agent's next
 *                        event must have a higher sequence even if its own record of them was lost
 * @param stopGraceSeconds how long a stop gives the guest to shut down before forcing it off ({@code spec.stopRequest}'s
 *                      timeout, else {@code spec.stopTimeoutSeconds}); zero forces at once; negative: the default
 * @param disks         {@code spec.disks}: the boot disk's size and the volumes (never null; an old ledger file, written
 *                      before disks, reads as none)
 * @param network       the VM's place on the node's network ({@code status.network}) when {@code spec.network} is
 *                      {@code attached}; null when it has none
 * @param diskGiB       {@code status.resources.diskGiB}, the disk space billed while the VM exists; null when none
 * @param container     what a Container's spec asks of its process; null for VMs
 */
public record Desired(String kind, String uid, String name, String project, long generation, double vcpus, long memoryMiB,
        String image, String cmdline, boolean running, String restartToken, List<String> devices, long appliedSequence,
        long stopGraceSeconds, Disks disks, Network network, Long diskGiB, ContainerSpec container) {

    /**
     * A Container's process as its spec asks for it (each part null: the image's).
     *
     * @param command replaces the image's Entrypoint
     * @param args    replaces the image's Cmd
     * @param env     added to the image's Env
     */
    public record ContainerSpec(List<String> command, List<String> args, java.util.Map<String, String> env, String workingDir,
            long pidsLimit, boolean readOnlyRootFilesystem) {
    }

    /** Not a container. */
    public Desired(String kind, String uid, String name, String project, long generation, double vcpus, long memoryMiB,
            String image, String cmdline, boolean running, String restartToken, List<String> devices, long appliedSequence,
            long stopGraceSeconds, Disks disks, Network network, Long diskGiB) {
        this(kind, uid, name, project, generation, vcpus, memoryMiB, image, cmdline, running, restartToken, devices, appliedSequence,
                stopGraceSeconds, disks, network, diskGiB, null);
    }

    /**
     * A VM's disks as its spec asks for them.
     *
     * @param bootSizeGiB the boot disk's size as the guest sees it; null: the image disk's own size
     * @param volumes     empty data disks, in the order the guest names them (after the boot disk)
     */
    public record Disks(Integer bootSizeGiB, List<Volume> volumes) {
        public static final Disks NONE = new Disks(null, List.of());

        public Disks {
            volumes = volumes == null ? List.of() : List.copyOf(volumes);
        }
    }

    /** An empty data disk: its name (the serial the guest reads) and size. */
    public record Volume(String name, long sizeGiB) {
    }

    /**
     * Where an attached VM sits on its node's network, as the control plane assigned it; any part may still be null
     * (not assigned yet), which makes its start fail rather than run without the network it asked for.
     *
     * @param subnet the node's subnet in CIDR form, whose first host address is the guest's gateway
     */
    public record Network(String mac, String ip, String subnet) {
    }

    /** The API's default {@code spec.stopTimeoutSeconds} for VMs. */
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(30);

    public Desired {
        Objects.requireNonNull(uid, "uid");
        restartToken = restartToken == null ? "" : restartToken;
        devices = devices == null ? List.of() : List.copyOf(devices);
        stopGraceSeconds = stopGraceSeconds < 0 ? DEFAULT_STOP_GRACE.toSeconds() : stopGraceSeconds;
        disks = disks == null ? Disks.NONE : disks;
    }

    /** Without disks or network. */
    public Desired(String kind, String uid, String name, String project, long generation, double vcpus, long memoryMiB,
            String image, String cmdline, boolean running, String restartToken, List<String> devices, long appliedSequence,
            long stopGraceSeconds) {
        this(kind, uid, name, project, generation, vcpus, memoryMiB, image, cmdline, running, restartToken, devices, appliedSequence,
                stopGraceSeconds, null, null, null);
    }

    /** With the default stop grace. */
    public Desired(String kind, String uid, String name, String project, long generation, double vcpus, long memoryMiB,
            String image, String cmdline, boolean running, String restartToken, List<String> devices, long appliedSequence) {
        this(kind, uid, name, project, generation, vcpus, memoryMiB, image, cmdline, running, restartToken, devices, appliedSequence,
                DEFAULT_STOP_GRACE.toSeconds());
    }

    /** How long a stop gives the guest to shut down before forcing it off. */
    public Duration stopGrace() {
        return Duration.ofSeconds(stopGraceSeconds);
    }

    private static final Pattern FILE_SAFE_UID = Pattern.compile("[A-Za-z0-9-]{1,64}");

    /** The uid, checked fit to name the agent's files for the workload (nothing that could leave their directory). */
    public static String fileSafe(String uid) {
        if (!FILE_SAFE_UID.matcher(uid).matches()) {
            throw new IllegalArgumentException("not a workload uid: " + uid);
        }
        return uid;
    }

    /** {@code vm/web-1}: how events and logs name it. */
    public String subject() {
        return kind.toLowerCase() + "/" + name;
    }
}
