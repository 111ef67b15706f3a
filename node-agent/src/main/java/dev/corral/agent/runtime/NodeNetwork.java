package dev.corral.agent.runtime;

import jakarta.enterprise.context.ApplicationScoped;
import dev.corral.agent.config.AgentConfig;

/**
 * The node's VM network, set up once, by whichever needs it first: the registration (which announces its subnet) or
 * the agent's start (which runs VMs on it).
 */
@ApplicationScoped
public class NodeNetwork {

    private final AgentConfig config;
    private VmNetwork network;

    public NodeNetwork(AgentConfig config) {
        this.config = config;
    }

    /** Sets up the bridge on first use; a node where that fails has no VM network (logged once). */
    public synchronized VmNetwork get() {
        if (network == null) {
            network = VmNetwork.setUp(new IpLinks(), config.network().bridge(), config.network().subnet(), VmNetwork::openTap);
        }
        return network;
    }
}
