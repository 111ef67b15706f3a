package dev.corral.agent.container;

import java.io.IOException;
import java.util.Locale;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime.StartException;
import dev.corral.agent.runtime.Subnet;
import dev.corral.agent.runtime.VmNetwork;
import org.jboss.logging.Logger;

/**
 * Containers on the node's network ({@code spec.network: attached}): the same bridge and subnet as VMs. Each gets a
 * network namespace of its own made by the agent ({@code corral-<uid>}), in which a veth pair's end is {@code eth0}
 * with the address the control plane assigned and a default route to the bridge's address; the other end is a port of
 * the bridge. runc joins that namespace instead of making one. Deleting the namespace removes both ends.
 */
final class ContainerNetwork {

    private static final Logger LOG = Logger.getLogger(ContainerNetwork.class);

    private final VmNetwork network;

    ContainerNetwork(VmNetwork network) {
        this.network = network;
    }

    static String namespace(String uid) {
        return "corral-" + Desired.fileSafe(uid);
    }

    /** The host end of the container's veth: at most 15 bytes, and unlike VM taps ({@code cr...}). */
    static String hostLink(String uid) {
        String compact = Desired.fileSafe(uid).replace("-", "").toLowerCase(Locale.ROOT);
        return "cv" + compact.substring(0, Math.min(12, compact.length()));
    }

    private static String peerLink(String uid) {
        String compact = Desired.fileSafe(uid).replace("-", "").toLowerCase(Locale.ROOT);
        return "cp" + compact.substring(0, Math.min(12, compact.length()));
    }

    /** Sets up the container's namespace and veth; returns the namespace's path for runc. */
    String attach(Desired desired) throws StartException {
        var wanted = desired.network();
        var subnet = network.checkAssigned(desired, false);
        String uid = desired.uid();
        release(uid);
        try {
            network.links().addVethIntoNamespace(hostLink(uid), peerLink(uid), network.bridge(), namespace(uid),
                    wanted.ip() + "/" + subnet.prefix(), subnet.gateway());
        } catch (IOException e) {
            release(uid);
            throw new StartException("NetworkUnavailable", "the network of " + desired.subject() + " could not be set up: "
                    + e.getMessage(), e);
        }
        return "/run/netns/" + namespace(uid);
    }

    /** Removes the container's namespace and veth, if it has them. */
    void release(String uid) {
        if (network.links() == null) {
            return;
        }
        try {
            // The host end first: deleting it takes its peer in the namespace along at once, whereas a deleted
            // namespace lets go of its veth only later (the kernel tears it down in the background). Looked up in
            // sysfs first: most containers have no veth, and asking ip costs a process each.
            for (String link : java.util.List.of(hostLink(uid), peerLink(uid))) {
                if (java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", link))) {
                    network.links().delete(link);
                }
            }
            network.links().deleteNamespace(namespace(uid));
        } catch (IOException e) {
            LOG.warnf("cannot remove the network of container %s: %s", uid, e.getMessage());
        }
    }
}
