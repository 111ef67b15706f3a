package dev.corral.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

/** The VM network settings as an operator writes them. */
class AgentConfigTest {

    private static AgentConfig.Network network(Map<String, String> properties) {
        // Quarkus's converter reads "10s" as the agent's intervals are written.
        return new SmallRyeConfigBuilder().withMapping(AgentConfig.class)
                .withConverter(java.time.Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500)).build()
                .getConfigMapping(AgentConfig.class).network();
    }

    @Test
    void byDefaultTheNodeOffersItsVmsBridgeCorral0OnTenEightyEight() {
        var network = network(Map.of());
        assertThat(network.bridge()).isEqualTo("corral0");
        assertThat(network.subnet()).contains("10.88.0.0/24");
    }

    @Test
    void anEmptySubnetMeansNoVmNetwork() {
        assertThat(network(Map.of("corral.agent.network.subnet", "")).subnet()).isEmpty();
        assertThat(network(Map.of("corral.agent.network.subnet", "10.9.0.0/16", "corral.agent.network.bridge", "br-vms")))
                .satisfies(n -> {
                    assertThat(n.subnet()).contains("10.9.0.0/16");
                    assertThat(n.bridge()).isEqualTo("br-vms");
                });
    }
}
