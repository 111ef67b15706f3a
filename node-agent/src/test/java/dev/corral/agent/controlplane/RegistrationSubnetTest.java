package dev.corral.agent.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.config.AgentConfig;
import dev.corral.agent.inventory.InventoryReader;
import dev.corral.agent.runtime.IpLinks;
import dev.corral.agent.runtime.NodeNetwork;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

/** The node registers the subnet of its VM network when it has one, and none when it has not. */
class RegistrationSubnetTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static NodeRegistration registration(Map<String, String> settings) {
        var all = new HashMap<>(settings);
        all.put("corral.agent.node-name", "node-a");
        all.put("corral.agent.advertised-url", "http://node-a:8081");
        var config = new SmallRyeConfigBuilder().withMapping(AgentConfig.class)
                .withConverter(java.time.Duration.class, 200, new DurationConverter())
                .withSources(new PropertiesConfigSource(all, "test", 500)).build().getConfigMapping(AgentConfig.class);
        return new NodeRegistration(config, JSON, new NodeNetwork(config));
    }

    @Test
    void aNodeWhoseBridgeIsUpRegistersItsSubnet() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "setting up a bridge needs root");
        String bridge = "crtest" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
        try {
            var registration = registration(Map.of("corral.agent.network.bridge", bridge, "corral.agent.network.subnet", "192.0.2.0/24"))
                    .registration(new InventoryReader(Path.of("/")).read());
            assertThat(registration.subnet()).isEqualTo("192.0.2.0/24");
            assertThat(JSON.valueToTree(registration).path("subnet").asText()).isEqualTo("192.0.2.0/24");
        } finally {
            new IpLinks().delete(bridge);
        }
    }

    @Test
    void aNodeWithoutVmNetworkRegistersNoSubnet() {
        var registration = registration(Map.of("corral.agent.network.subnet", "")).registration(new InventoryReader(Path.of("/")).read());
        assertThat(registration.subnet()).isNull();
        assertThat(JSON.valueToTree(registration).has("subnet")).isFalse();
    }
}
