package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime;
import dev.corral.api.Image;
import dev.corral.api.ObjectMeta;
import dev.corral.engine.net.Tap;
import dev.corral.engine.vm.VmAccelerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM with a network, run by the engine runtime on a real bridge (test-only name, TEST-NET-1; root only): its tap is
 * on the bridge while it runs and gone once its run is closed. The tap is the engine's own (not persistent: it
 * vanishes when the runtime closes it).
 */
class EngineRuntimeNetworkTest {

    @TempDir
    Path state;

    private final IpLinks links = new IpLinks();
    private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    private final String bridge = "crtest" + suffix;

    @AfterEach
    void removeTheBridge() throws IOException {
        if ("root".equals(System.getProperty("user.name"))) {
            links.delete(bridge);
        }
    }

    @Test
    void theTapIsOnTheBridgeWhileTheVmRunsAndGoneAfter() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the VM network tests change host links: they need root");
        var blobs = new TestBlobs();
        var cache = new ImageCache(state.resolve("images"), blobs);
        var network = VmNetwork.setUp(links, bridge, Optional.of("192.0.2.0/24"), Tap::open);
        assertThat(network.subnet()).isPresent();
        var image = new Image("corral.dev/v1", "Image", ObjectMeta.named("ticker"),
                new Image.Spec(new Image.BlobRef(blobs.put(TestBlobs.ticker()), null), null, null, "ticks=1 interval=10", "x86_64"));
        var runtime = new EngineRuntime((project, name) -> image, cache, VmAccelerator.EMULATED, new VmDisks(state.resolve("vms"), cache),
                network);
        String uid = "3c" + suffix + "-1111-4000-8000-000000000000";
        String tap = VmNetwork.tapName(uid);
        var desired = new Desired("VM", uid, "web-1", "default", 1, 1, 32, "ticker", null, true, "", List.of(), 0, 30, null,
                new Desired.Network("02:c0:ff:ee:00:09", "192.0.2.9", "192.0.2.0/24"), null);

        var portsWhileRunning = new CompletableFuture<List<String>>();
        var ended = new CompletableFuture<WorkloadRuntime.Ended>();
        var handle = runtime.start(desired, b -> { }, new WorkloadRuntime.Listener() {
            @Override
            public void started(String accelerator) {
                try {
                    portsWhileRunning.complete(links.ports(bridge));
                } catch (IOException e) {
                    portsWhileRunning.completeExceptionally(e);
                }
            }

            @Override
            public void finished(WorkloadRuntime.Ended e) {
                ended.complete(e);
            }
        });
        assertThat(ended.get(60, TimeUnit.SECONDS).reason()).isEqualTo("GuestPoweredOff");
        assertThat(portsWhileRunning.get()).containsExactly(tap);
        assertThat(links.exists(tap)).as("still held until the run is closed").isTrue();
        handle.close();
        assertThat(links.exists(tap)).isFalse();
        runtime.delete(uid);
        assertThat(links.ports(bridge)).isEmpty();
    }
}
