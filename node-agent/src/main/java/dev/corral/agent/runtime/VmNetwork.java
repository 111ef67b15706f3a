package dev.corral.agent.runtime;

import java.io.IOException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime.StartException;
import dev.corral.engine.net.NetBackend;
import dev.corral.engine.net.Tap;
import dev.corral.engine.vm.VmConfig;
import dev.corral.engine.vm.VmException;
import org.jboss.logging.Logger;

/**
 * This node's VM network: a Linux bridge holding the subnet's first host address (the guests' gateway), and per
 * attached VM a tap on it ({@code cr} and the first 12 characters of the VM's uid without dashes), opened by this
 * process and so gone when it is closed or the agent dies. The guest learns its address from its kernel command line
 * ({@code ip=<ip>::<gateway>:<netmask>:<VM name>:eth0:off}: the VM's name becomes its host name), which Corral's guest init reads. A node whose bridge could not be
 * set up (the agent is not root, say) has no VM network: it registers no subnet, and a VM that asks for the network
 * fails to start with reason {@code NetworkUnavailable}.
 */
public final class VmNetwork {

    private static final Logger LOG = Logger.getLogger(VmNetwork.class);
    private static final Pattern LINK_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    /** The names {@link #tapName} makes. */
    private static final Pattern TAP_NAME = Pattern.compile("cr[a-z0-9]{1,12}");

    /** Opens a VM's tap; {@link Tap#open} on a real node. */
    @FunctionalInterface
    public interface Taps {
        NetBackend open(String name) throws IOException;
    }

    private final IpLinks links;
    private final String bridge;
    private final Subnet subnet;
    private final String problem;
    private final Taps taps;

    private VmNetwork(IpLinks links, String bridge, Subnet subnet, String problem, Taps taps) {
        this.links = links;
        this.bridge = bridge;
        this.subnet = subnet;
        this.problem = problem;
        this.taps = taps;
    }

    /** A node without VM network, and why. */
    public static VmNetwork none(String why) {
        return new VmNetwork(null, null, null, why, null);
    }

    /**
     * Sets up the bridge with the subnet's gateway address and removes taps an earlier agent process left on it; on
     * failure logs one line and returns a node without VM network.
     *
     * @param subnet the subnet in CIDR form; empty: the node offers no VM network
     */
    public static VmNetwork setUp(IpLinks links, String bridge, Optional<String> subnet, Taps taps) {
        if (subnet.isEmpty() || subnet.get().isBlank()) {
            LOG.info("No VM network on this node (corral.agent.network.subnet is empty)");
            return none("corral.agent.network.subnet is empty");
        }
        Subnet parsed;
        try {
            if (!LINK_NAME.matcher(bridge).matches()) {
                throw new IllegalArgumentException("corral.agent.network.bridge '" + bridge
                        + "' is not a link name (1 to 15 letters, digits, '_', '.', '-')");
            }
            parsed = Subnet.parse(subnet.get().trim());
        } catch (IllegalArgumentException e) {
            LOG.errorf("No VM network on this node: %s", e.getMessage());
            return none(e.getMessage());
        }
        try {
            links.ensureBridge(bridge, parsed);
        } catch (IOException e) {
            LOG.warnf("No VM network on this node: cannot set up bridge %s with %s (%s)", bridge, parsed.gatewayWithPrefix(),
                    e.getMessage());
            return none("bridge " + bridge + " could not be set up: " + e.getMessage());
        }
        var network = new VmNetwork(links, bridge, parsed, null, taps);
        network.removeStaleTaps(Set.of());
        LOG.infof("VM network: bridge %s, subnet %s, gateway %s", bridge, parsed, parsed.gateway());
        return network;
    }

    /** The bridge of the node's network; null when it has none. */
    public String bridge() {
        return bridge;
    }

    /** The links of the node's network; null when it has none. */
    public IpLinks links() {
        return links;
    }

    /**
     * For a workload on this node's network (a VM, or a container): throws NetworkUnavailable, naming it, unless the
     * node has a subnet and the workload's assigned address (and its MAC, when {@code withMac}) lies in it as a guest
     * address; returns the node's subnet.
     */
    public Subnet checkAssigned(Desired desired, boolean withMac) throws StartException {
        var wanted = desired.network();
        if (subnet == null) {
            throw new StartException("NetworkUnavailable", desired.subject() + " asks for a network, and this node has none: " + problem);
        }
        if (wanted == null || (withMac && wanted.mac() == null) || wanted.ip() == null || wanted.subnet() == null) {
            throw new StartException("NetworkUnavailable", desired.subject()
                    + (withMac ? " has no MAC, address or subnet assigned yet" : " has no address assigned yet"));
        }
        try {
            if (!Subnet.parse(wanted.subnet()).equals(subnet) || !subnet.isGuestAddress(wanted.ip())) {
                throw new StartException("NetworkUnavailable", desired.subject() + "'s address " + wanted.ip() + " in "
                        + wanted.subnet() + " is not a guest address of this node's subnet " + subnet);
            }
        } catch (IllegalArgumentException e) {
            throw new StartException("NetworkUnavailable", desired.subject() + "'s network: " + e.getMessage(), e);
        }
        return subnet;
    }

    /** Why the node has no network, or null. */
    public String problem() {
        return problem;
    }

    /** The subnet VMs on this node get addresses from; empty when the node has no VM network. */
    public Optional<Subnet> subnet() {
        return Optional.ofNullable(subnet);
    }

    /** The tap of the VM with this uid: at most 15 bytes, as Linux wants interface names. */
    public static String tapName(String uid) {
        String compact = Desired.fileSafe(uid).replace("-", "").toLowerCase(Locale.ROOT);
        return "cr" + compact.substring(0, Math.min(12, compact.length()));
    }

    /**
     * Deletes the bridge's ports named like VM taps that are not in {@code keep} and that no live process holds: a tap
     * opened by an agent goes with its process, so what is left is stray (made persistent by hand or by another tool).
     * A held tap may be another agent's on this host (tests run several), and is left alone.
     */
    public void removeStaleTaps(Set<String> keep) {
        if (subnet == null) {
            return;
        }
        try {
            for (String port : links.ports(bridge)) {
                if (TAP_NAME.matcher(port).matches() && !keep.contains(port) && !links.isHeldTap(port)) {
                    LOG.infof("removing stale VM tap %s from bridge %s", port, bridge);
                    links.delete(port);
                }
            }
        } catch (IOException e) {
            LOG.warnf("cannot remove stale VM taps from bridge %s: %s", bridge, e.getMessage());
        }
    }

    /** A VM's tap, attached to the bridge, for one run: closed after the VM is closed, when the tap vanishes. */
    public record Attached(NetBackend tap, VmConfig.Nic nic, String cmdlineWord) implements AutoCloseable {
        @Override
        public void close() {
            tap.close();
        }
    }

    /** Opens the VM's tap and attaches it to the bridge. */
    public Attached attach(Desired desired) throws StartException {
        var wanted = desired.network();
        checkAssigned(desired, true);
        String name = tapName(desired.uid());
        NetBackend tap;
        try {
            tap = taps.open(name);
        } catch (IOException e) {
            throw new StartException("NetworkUnavailable", "the tap " + name + " of " + desired.subject() + " could not be opened: "
                    + e.getMessage(), e);
        }
        try {
            links.attach(name, bridge);
            var nic = new VmConfig.Nic(tap, wanted.mac());
            return new Attached(tap, nic, "ip=" + wanted.ip() + "::" + subnet.gateway() + ":" + subnet.netmask() + ":" + desired.name()
                    + ":eth0:off");
        } catch (IOException | VmException e) {
            tap.close();
            throw new StartException("NetworkUnavailable", "the tap " + name + " of " + desired.subject()
                    + " could not be attached to bridge " + bridge + ": " + e.getMessage(), e);
        }
    }

    /** Makes sure the VM's tap is gone (its deletion): it goes with its closing, this is for a stray one. */
    public void release(String uid) {
        if (subnet == null) {
            return;
        }
        String name = tapName(uid);
        try {
            links.delete(name);
        } catch (IOException e) {
            LOG.warnf("cannot delete tap %s: %s", name, e.getMessage());
        }
    }

    /** The default way to open taps: the engine's. */
    public static NetBackend openTap(String name) throws IOException {
        return Tap.open(name);
    }
}
