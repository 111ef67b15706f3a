package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime.StartException;
import org.junit.jupiter.api.Test;

/** When a VM's network cannot be had, decided before any host link is touched (no root needed). */
class VmNetworkRulesTest {

    private static Desired vm(Desired.Network network) {
        return new Desired("VM", "u1", "web-1", "default", 1, 1, 64, "debian", null, true, "", List.of(), 0, 30, null, network, null);
    }

    private static void refused(VmNetwork network, Desired.Network wanted, String saying) {
        assertThatThrownBy(() -> network.attach(vm(wanted))).isInstanceOfSatisfying(StartException.class, e -> {
            assertThat(e.reason()).isEqualTo("NetworkUnavailable");
            assertThat(e.getMessage()).contains(saying);
        });
    }

    @Test
    void anEmptySubnetSettingMeansNoNetworkAndAVmThatWantsOneFails() {
        var network = VmNetwork.setUp(new IpLinks("/nonexistent/ip"), "corral0", Optional.empty(), name -> null);
        assertThat(network.subnet()).isEmpty();
        refused(network, new Desired.Network("02:00:00:00:00:01", "10.88.0.2", "10.88.0.0/24"), "this node has none");
    }

    @Test
    void aBridgeThatCannotBeSetUpMeansNoNetworkNotACrash() {
        var network = VmNetwork.setUp(new IpLinks("/nonexistent/ip"), "corral0", Optional.of("10.88.0.0/24"), name -> null);
        assertThat(network.subnet()).isEmpty();
        refused(network, new Desired.Network("02:00:00:00:00:01", "10.88.0.2", "10.88.0.0/24"), "/nonexistent/ip");
    }

    @Test
    void badSettingsMeanNoNetwork() {
        assertThat(VmNetwork.setUp(new IpLinks("/nonexistent/ip"), "a-bridge-name-too-long", Optional.of("10.88.0.0/24"), n -> null)
                .subnet()).isEmpty();
        assertThat(VmNetwork.setUp(new IpLinks("/nonexistent/ip"), "corral0", Optional.of("10.88.0.1/24"), n -> null).subnet())
                .isEmpty();
    }

    @Test
    void tapNamesFitLinuxAndComeFromTheUid() {
        assertThat(VmNetwork.tapName("0F8E1C2A-7b6d-4e5f-9a1b-2c3d4e5f6a7b")).isEqualTo("cr0f8e1c2a7b6d");
        assertThat(VmNetwork.tapName("u1")).isEqualTo("cru1");
        assertThatThrownBy(() -> VmNetwork.tapName("../x")).isInstanceOf(IllegalArgumentException.class);
    }
}
