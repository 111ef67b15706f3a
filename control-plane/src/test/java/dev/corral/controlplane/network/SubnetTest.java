package dev.corral.controlplane.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SubnetTest {

    @Test
    void aSlash24LeavesNetworkGatewayAndBroadcastOutOfTheVmRange() {
        var s = Subnet.parse("10.88.0.0/24");
        assertThat(Subnet.format(s.network())).isEqualTo("10.88.0.0");
        assertThat(Subnet.format(s.gateway())).isEqualTo("10.88.0.1");
        assertThat(Subnet.format(s.firstVmAddress())).isEqualTo("10.88.0.2");
        assertThat(Subnet.format(s.lastVmAddress())).isEqualTo("10.88.0.254");
        assertThat(Subnet.format(s.broadcast())).isEqualTo("10.88.0.255");
        assertThat(s).hasToString("10.88.0.0/24");
    }

    @Test
    void highAddressesStayUnsigned() {
        var s = Subnet.parse("255.255.0.0/16");
        assertThat(Subnet.format(s.broadcast())).isEqualTo("255.255.255.255");
        assertThat(Subnet.format(s.lastVmAddress())).isEqualTo("255.255.255.254");
    }

    @Test
    void hostAddressesWrongPrefixesAndJunkAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Subnet.parse("10.88.0.5/24")).hasMessageContaining("10.88.0.0/24");
        assertThatThrownBy(() -> Subnet.parse("10.0.0.0/15")).hasMessageContaining("/16 to /29");
        assertThatThrownBy(() -> Subnet.parse("10.0.0.0/30")).hasMessageContaining("/16 to /29");
        assertThatThrownBy(() -> Subnet.parse("10.0.0.256/24")).isInstanceOf(Subnet.InvalidSubnetException.class);
        assertThatThrownBy(() -> Subnet.parse("10.0.00.0/24")).isInstanceOf(Subnet.InvalidSubnetException.class);
        assertThatThrownBy(() -> Subnet.parse("10.0.0.0")).isInstanceOf(Subnet.InvalidSubnetException.class);
        assertThatThrownBy(() -> Subnet.parse(null)).isInstanceOf(Subnet.InvalidSubnetException.class);
    }

    @Test
    void macsAreLocallyAdministeredUnicast() {
        for (int i = 0; i < 100; i++) {
            assertThat(Macs.random()).matches("02(:[0-9a-f]{2}){5}");
        }
    }
}
