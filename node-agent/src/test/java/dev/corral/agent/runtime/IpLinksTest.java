package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.junit.jupiter.api.Test;

/** What the agent reads from iproute2, and how it says that a command failed. */
class IpLinksTest {

    @Test
    void aNonPersistentTapIsHeldByItsProcessAndAPersistentOneIsNot() {
        // iproute2 6.1's `ip -d -o link show dev X` for a tap an agent holds open, and for one made by `ip tuntap add`.
        String held = "77: crtt3: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\"
                + "    link/ether 32:35:c0:ec:63:a0 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65521 \\"
                + "    tun type tap pi off vnet_hdr off persist off addrgenmode eui64 numtxqueues 1";
        assertThat(IpLinks.heldTap(held)).isTrue();
        assertThat(IpLinks.heldTap(held.replace("persist off", "persist on"))).isFalse();
        assertThat(IpLinks.heldTap("5: crx: <BROADCAST> mtu 1500 \\    link/ether 1a:2b:3c:4d:5e:6f \\    dummy addrgenmode eui64"))
                .isFalse();
    }

    @Test
    void aFailureNamesTheCommand() {
        assertThatThrownBy(() -> new IpLinks("/nonexistent/ip").exists("corral0"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot run /nonexistent/ip link show dev corral0");
    }
}
