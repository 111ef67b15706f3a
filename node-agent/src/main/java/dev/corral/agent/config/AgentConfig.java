package dev.corral.agent.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The node agent's settings ({@code corral.agent.*}, or {@code CORRAL_AGENT_*} in the environment). */
@ConfigMapping(prefix = "corral.agent")
public interface AgentConfig {

    /** Where the control plane's API answers. */
    @WithDefault("http://127.0.0.1:8080")
    URI controlPlaneUrl();

    /**
     * For an https control plane: the CA certificates (a PEM file) its certificate must be signed by; only these are
     * trusted. Unset: the JDK's trust store. The host name in {@link #controlPlaneUrl()} is verified either way.
     */
    Optional<Path> controlPlaneCa();

    /**
     * The node token the agent sends to the control plane ({@code Authorization: Bearer}): a token with role
     * {@code node} for this node, made by an admin ({@code corral create token --role node --node NAME}). Prefer
     * {@link #tokenFile()}, which keeps it out of the process environment.
     */
    Optional<String> token();

    /** A file holding the node token (its first line); read at start-up. Takes precedence over {@link #token()}. */
    Optional<Path> tokenFile();

    /** The name this node registers under; the host name when unset. */
    Optional<String> nodeName();

    /** Where the agent keeps its state (image cache, event buffer, consoles). */
    @WithDefault("${user.home}/.corral/agent")
    Path stateDir();

    /** How often the agent tells the control plane it is alive (the control plane marks silent nodes NotReady). */
    @WithDefault("10s")
    java.time.Duration heartbeatInterval();

    /** The root that host inventory (sysfs, procfs, /dev) is read from; another root replays a recorded host. */
    @WithDefault("/")
    Path hostRoot();

    /** The Kafka cluster lifecycle events go to (topic {@code corral.lifecycle.v1}). */
    @WithDefault("127.0.0.1:9092")
    String kafkaBootstrapServers();

    /** How much undelivered event data the on-disk journal holds while Kafka is away; beyond it, new events are refused. */
    @WithDefault("67108864")
    long eventJournalMaxBytes();

    /** How often every running workload is announced with a {@code corral.vm.exists} event. */
    @WithDefault("60s")
    java.time.Duration existsInterval();

    /** How long one assignments watch lasts before the agent lists everything again (the full resync). */
    @WithDefault("60s")
    java.time.Duration resyncInterval();

    /**
     * How long the VMs get to shut down when the agent stops (SIGTERM): each is asked (the power button) and forced
     * off when this or its own {@code spec.stopTimeoutSeconds}, whichever is shorter, has passed.
     */
    @WithDefault("10s")
    java.time.Duration shutdownGrace();

    /**
     * How long a stopping agent waits for the broker to acknowledge the lifecycle events still in its journal (the
     * VMs' last ones among them); what is not acknowledged by then waits in the journal for the next start.
     */
    @WithDefault("5s")
    java.time.Duration shutdownDeliveryTimeout();

    /** How many bytes of each workload's serial console the agent keeps in memory (all of it goes to a file too). */
    @WithDefault("262144")
    int consoleBufferBytes();

    /**
     * What runs this node's VMs: {@code auto} (KVM on a host with hardware virtualization, where /dev/kvm opens and
     * speaks API version 12; the software CPU elsewhere, kvm_pvm hosts included, where a guest kernel runs faster
     * on the software CPU than through KVM's instruction emulator), {@code kvm} (KVM wherever /dev/kvm works, PVM
     * included; a VM fails to start where KVM cannot run it) or {@code emulated} (the software CPU, always). Each
     * VM's status says which one ran it.
     */
    @WithDefault("auto")
    String accelerator();

    /**
     * The URL the control plane reaches this agent on (consoles); {@code http://<http host>:<http port>} when unset,
     * {@code https://<http host>:<https port>} when the agent serves TLS ({@code CORRAL_AGENT_TLS_CERT}).
     */
    Optional<java.net.URI> advertisedUrl();

    /** The node's VM network. */
    Network network();

    /** How this node runs Containers. */
    Containers containers();

    /** How this node runs Containers: an OCI runtime over the node's cgroups, and the layer cache. */
    interface Containers {
        /**
         * The OCI runtime: {@code auto} (crun where it is installed and, tried once at start, runs a container on
         * this node's cgroups: it refuses cgroup v1 with a v2 mount beside it; runc everywhere else), {@code runc},
         * {@code crun}, or a path to either. Whichever it is, it is tried at start, and a node where it cannot run a
         * container says why (containers there fail with RuntimeUnavailable).
         */
        @WithDefault("auto")
        String runtime();

        /** Where the node's cgroup file systems are mounted. */
        @WithDefault("/sys/fs/cgroup")
        Path cgroupRoot();

        /** The most one image layer may unpack to (its files' content, and its tar uncompressed); more is refused. */
        @WithDefault("8589934592")
        long maxLayerBytes();
    }

    /** The node's VM network: a bridge whose address is the first of the subnet, the guests' gateway. */
    interface Network {
        /** The Linux bridge the VMs' taps are attached to; created at start-up when missing. */
        @WithDefault("corral0")
        String bridge();

        /**
         * The IPv4 subnet (CIDR) the control plane gives this node's VMs addresses from; the bridge gets its first host
         * address. Empty: the node offers no VM network (and registers no subnet).
         */
        @WithDefault("10.88.0.0/24")
        Optional<String> subnet();
    }
}
