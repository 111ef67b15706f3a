package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SubnetTest {

    @Test
    void theFirstHostAddressIsTheGatewayAndTheMaskIsDotted() {
        var subnet = Subnet.parse("10.88.0.0/24");
        assertThat(subnet.gateway()).isEqualTo("10.88.0.1");
        assertThat(subnet.gatewayWithPrefix()).isEqualTo("10.88.0.1/24");
        assertThat(subnet.netmask()).isEqualTo("255.255.255.0");
        assertThat(subnet).hasToString("10.88.0.0/24");
        assertThat(Subnet.parse("172.16.0.0/12").netmask()).isEqualTo("255.240.0.0");
    }

    @Test
    void guestAddressesAreInsideAndNeitherNetworkGatewayNorBroadcast() {
        var subnet = Subnet.parse("10.88.0.0/24");
        assertThat(subnet.isGuestAddress("10.88.0.2")).isTrue();
        assertThat(subnet.isGuestAddress("10.88.0.254")).isTrue();
        assertThat(subnet.isGuestAddress("10.88.0.0")).isFalse();
        assertThat(subnet.isGuestAddress("10.88.0.1")).isFalse();
        assertThat(subnet.isGuestAddress("10.88.0.255")).isFalse();
        assertThat(subnet.isGuestAddress("10.88.1.2")).isFalse();
    }

    @Test
    void whatIsNoSubnetIsRefused() {
        for (String bad : new String[] {"10.88.0.0", "10.88.0.1/24", "10.88.0.0/31", "10.88.0.0/x", "300.0.0.0/8", "a.b.c.d/8",
                "10.88.0/24", "10.88.0.0.0/24"}) {
            assertThatThrownBy(() -> Subnet.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
