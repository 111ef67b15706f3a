package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime.StartException;
import dev.corral.engine.net.NetBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's VM network against a real Linux bridge (with a test-only name, in TEST-NET-1, removed after each test):
 * needs root (CAP_NET_ADMIN) and iproute2, and is skipped without them. Taps are made by {@code ip tuntap} and deleted
 * when closed, as the engine's own vanishes, except in the one test that uses the engine's Tap where it works.
 */
class VmNetworkTest {

    private static final String SUBNET = "192.0.2.0/24";

    private final IpLinks links = new IpLinks();
    private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    private final String bridge = "crtest" + suffix;
    private final List<String> made = new ArrayList<>();

    @BeforeEach
    void needsRoot() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the VM network tests change host links: they need root");
        made.add(bridge);
    }

    @AfterEach
    void removeWhatTheTestMade() throws Exception {
        for (String link : made.reversed()) {
            links.delete(link);
        }
    }

    private static String ip(String... args) throws Exception {
        var command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(command + ": " + out);
        }
        return out;
    }

    /** A tap made persistent by iproute2 (the engine's is not), deleted when closed as the engine's vanishes. */
    private NetBackend persistentTap(String name) throws IOException {
        try {
            ip("tuntap", "add", "mode", "tap", "name", name);
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
        made.add(name);
        return new NetBackend() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void send(ByteBuffer frame) {
            }

            @Override
            public int receive(ByteBuffer buffer) {
                return -1;
            }

            @Override
            public int receive(ByteBuffer buffer, long timeoutMillis) {
                return -1;
            }

            @Override
            public void close() {
                try {
                    links.delete(name);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }

    private static Desired vm(String uid, Desired.Network network) {
        return new Desired("VM", uid, "web-1", "default", 1, 1, 64, "debian", null, true, "", List.of(), 0, 30, null, network, null);
    }

    @Test
    void theBridgeIsMadeWithTheGatewayAddressAndIsUp() throws Exception {
        var network = VmNetwork.setUp(links, bridge, Optional.of(SUBNET), this::persistentTap);
        assertThat(network.subnet()).contains(Subnet.parse(SUBNET));
        assertThat(ip("-o", "addr", "show", "dev", bridge)).contains("inet 192.0.2.1/24");
        assertThat(ip("-o", "link", "show", "dev", bridge)).containsPattern("<[^>]*\\bUP\\b");
        // Again (the agent restarts): nothing to do, nothing breaks.
        assertThat(VmNetwork.setUp(links, bridge, Optional.of(SUBNET), this::persistentTap).subnet()).isPresent();
    }

    @Test
    void aVmsTapIsAttachedToTheBridgeAndGoneWhenClosed() throws Exception {
        var network = VmNetwork.setUp(links, bridge, Optional.of(SUBNET), this::persistentTap);
        String uid = "5e" + suffix + "-0000-4000-8000-000000000000";
        String tap = VmNetwork.tapName(uid);
        assertThat(tap).isEqualTo("cr5e" + suffix + "0000").hasSizeLessThanOrEqualTo(15);

        try (var attached = network.attach(vm(uid, new Desired.Network("02:c0:ff:ee:00:07", "192.0.2.7", SUBNET)))) {
            assertThat(links.ports(bridge)).containsExactly(tap);
            assertThat(attached.nic().mac()).isEqualTo("02:c0:ff:ee:00:07");
            assertThat(attached.cmdlineWord()).isEqualTo("ip=192.0.2.7::192.0.2.1:255.255.255.0:web-1:eth0:off");
        }
        assertThat(links.exists(tap)).isFalse();
        assertThat(links.ports(bridge)).isEmpty();
    }

    @Test
    void strayTapsOnTheBridgeAreRemovedAtStartAndOtherPortsKept() throws Exception {
        ip("link", "add", bridge, "type", "bridge");
        String stray = "cr" + suffix + "abcdef";
        String other = "xt" + suffix;
        for (String port : List.of(stray, other)) {
            ip("tuntap", "add", "mode", "tap", "name", port);
            made.add(port);
            ip("link", "set", port, "master", bridge);
        }
        VmNetwork.setUp(links, bridge, Optional.of(SUBNET), this::persistentTap);
        assertThat(links.ports(bridge)).containsExactly(other);
        assertThat(links.exists(stray)).isFalse();
    }

    @Test
    void aTapThatALiveProcessHoldsIsNotStrayAndIsLeftAlone() throws Exception {
        ip("link", "add", bridge, "type", "bridge");
        String held = "cr" + suffix + "feed01";
        // Another agent on this host: a process holding a non-persistent tap (TUNSETIFF, IFF_TAP | IFF_NO_PI).
        Process holder;
        try {
            holder = new ProcessBuilder("python3", "-c", """
                    import fcntl, os, struct, sys
                    fd = os.open('/dev/net/tun', os.O_RDWR)
                    fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', sys.argv[1].encode(), 0x1002))
                    print('ready', flush=True)
                    sys.stdin.read()
                    """, held).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "python3 plays the other agent here: " + e.getMessage());
            return;
        }
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()));
            assertThat(out.readLine()).isEqualTo("ready");
            ip("link", "set", held, "master", bridge);
            VmNetwork.setUp(links, bridge, Optional.of(SUBNET), this::persistentTap);
            assertThat(links.ports(bridge)).containsExactly(held);
        } finally {
            holder.getOutputStream().close();
            holder.waitFor();
        }
        assertThat(links.exists(held)).as("gone with its process").isFalse();
    }

    @Test
    void aTapThatCannotBeAttachedIsClosedAndTheStartFails() throws Exception {
        var network = VmNetwork.setUp(links, bridge, Optional.of(SUBNET), this::persistentTap);
        links.delete(bridge); // gone under the agent
        String uid = "6f" + suffix;
        assertThatThrownBy(() -> network.attach(vm(uid, new Desired.Network("02:00:00:00:00:01", "192.0.2.9", SUBNET))))
                .isInstanceOfSatisfying(StartException.class, e -> {
                    assertThat(e.reason()).isEqualTo("NetworkUnavailable");
                    assertThat(e.getMessage()).contains("could not be attached to bridge " + bridge);
                });
        assertThat(links.exists(VmNetwork.tapName(uid))).as("its tap closed").isFalse();
    }

    @Test
    void theEnginesTapIsAttachedAndVanishesWhenClosed() throws Exception {
        var network = VmNetwork.setUp(links, bridge, Optional.of(SUBNET), VmNetwork::openTap);
        String uid = "7a" + suffix;
        var attached = network.attach(vm(uid, new Desired.Network("02:00:00:00:00:02", "192.0.2.10", SUBNET)));
        made.add(VmNetwork.tapName(uid));
        try (attached) {
            assertThat(links.ports(bridge)).containsExactly(VmNetwork.tapName(uid));
        }
        assertThat(links.exists(VmNetwork.tapName(uid))).isFalse();
    }
}
