package dev.corral.agent.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime;
import dev.corral.agent.runtime.ImageCache;
import dev.corral.api.Image;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers run by real runc on this host's cgroups, from a busybox image unpacked into the layer store and mounted
 * as an overlay: output, exit codes, the memory and pids limits, stops, exec, isolation, and that every run leaves no
 * mount, cgroup or runc state behind.
 */
class ContainerRuntimeIT {

    @TempDir
    Path state;

    private final TestLayers blobs = new TestLayers();
    private final ObjectMapper json = new ObjectMapper();
    private ContainerRuntime runtime;
    private Cgroups cgroups;
    private Image busybox;
    private Runc runc;

    @BeforeEach
    void setUp() throws Exception {
        cgroups = Cgroups.detect(Path.of("/sys/fs/cgroup"));
        var layers = new LayerStore(state.resolve("layers"), new ImageCache(state.resolve("images"), blobs), 1L << 30);
        busybox = blobs.image(List.of(TestLayers.busyboxLayer()), List.of("/bin/sh", "-c"), List.of("echo default"));
        runtime = new ContainerRuntime((project, name) -> busybox, layers, state.resolve("containers"), "runc", cgroups, json);
        assertThat(runtime.unavailable()).as("runc must be installed (deploy/local/test.sh installs it)").isEmpty();
        runc = new Runc("runc", state.resolve("containers/runc"), json);
    }

    @AfterEach
    void nothingIsLeftBehind() throws Exception {
        assertThat(Mounts.under(state)).isEmpty();
        assertThat(runc.list()).isEmpty();
    }

    /** One run to its end: what it printed and how it ended. */
    private record Outcome(String output, WorkloadRuntime.Ended ended) {
    }

    private static Desired container(String uid, long memoryMiB, Desired.ContainerSpec spec) {
        return new Desired("Container", uid, "c-" + uid.substring(0, 8), "default", 1, 0.5, memoryMiB, "busybox", null, true, "",
                List.of(), 0, 10, null, null, null, spec);
    }

    private static Desired.ContainerSpec command(String script) {
        return new Desired.ContainerSpec(null, List.of(script), null, null, 64, false);
    }

    private final class Started {
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final CompletableFuture<WorkloadRuntime.Ended> ended = new CompletableFuture<>();
        final WorkloadRuntime.Handle handle;
        final String uid;

        Started(Desired d) throws Exception {
            this(runtime, d);
        }

        Started(ContainerRuntime runtime, Desired d) throws Exception {
            uid = d.uid();
            handle = runtime.start(d, b -> {
                synchronized (output) {
                    output.write(b);
                }
            }, new WorkloadRuntime.Listener() {
                @Override
                public void started(String accelerator) {
                }

                @Override
                public void finished(WorkloadRuntime.Ended e) {
                    ended.complete(e);
                }
            });
        }

        Outcome outcome() throws Exception {
            var e = ended.get(60, TimeUnit.SECONDS);
            handle.close();
            synchronized (output) {
                return new Outcome(output.toString(StandardCharsets.UTF_8), e);
            }
        }
    }

    private Outcome run(Desired d) throws Exception {
        var outcome = new Started(d).outcome();
        runtime.delete(d.uid());
        return outcome;
    }

    private static String uid() {
        return UUID.randomUUID().toString();
    }

    @Test
    void aContainerPrintsToItsLogsAndCompletesInIsolation() throws Exception {
        String uid = uid();
        var outcome = run(container(uid, 32, command(
                "echo hello; cat /etc/motd; echo env=$FROM_IMAGE; echo pid=$$; hostname; ps -o pid,comm > /tmp/ps; wc -l < /tmp/ps;"
                        + " ls " + state + " 2>&1; cat /proc/kcore | head -c 1 | wc -c; touch /etc/written && echo writable")));
        assertThat(outcome.ended()).isEqualTo(new WorkloadRuntime.Ended(false, "Completed", "the container's process exited with code 0", 0));
        assertThat(outcome.output()).contains("hello\n", "from the image\n", "env=yes\n", "pid=1\n", "c-" + uid.substring(0, 8) + "\n",
                "writable\n");
        assertThat(outcome.output()).contains("No such file or directory"); // the agent's state is not in its view
        // ps header, sh, ps: its own processes only (ps's output is counted afterwards: in a pipe, wc may or may not
        // have started when ps looks); kcore masked
        assertThat(outcome.output().lines()).contains("3", "0");
        assertThat(cgroups.groups(uid)).isEmpty();
        assertThat(state.resolve("containers/runs/" + uid)).doesNotExist();
    }

    @Test
    void anExitCodeIsAnError() throws Exception {
        var outcome = run(container(uid(), 32, command("echo failing >&2; exit 3")));
        assertThat(outcome.ended()).isEqualTo(new WorkloadRuntime.Ended(true, "Error", "the container's process exited with code 3", 3));
        assertThat(outcome.output()).isEqualTo("failing\n");
    }

    @Test
    void aContainerThatOutgrowsItsMemoryIsOomKilled() throws Exception {
        String uid = uid();
        // sort holds its whole input, one 256 MiB line, in memory: far past the 16 MiB limit.
        var outcome = run(container(uid, 16, command("head -c 268435456 /dev/zero | sort > /dev/null; echo survived")));
        assertThat(outcome.ended().reason()).isEqualTo("OOMKilled");
        assertThat(outcome.ended().failed()).isTrue();
        assertThat(outcome.ended().message()).contains("memory limit of 16 MiB");
        assertThat(cgroups.groups(uid)).isEmpty();
    }

    @Test
    void aForkBombStopsAtThePidsLimit() throws Exception {
        String uid = uid();
        // Counts the sleeps it has started until the kernel refuses a fork, which ends busybox's shell.
        var spec = new Desired.ContainerSpec(null, List.of("i=0; while true; do sleep 60 & i=$((i+1)); echo $i; done"), null, null, 16, false);
        var outcome = run(container(uid, 64, spec));
        assertThat(outcome.ended().reason()).isEqualTo("Error");
        assertThat(outcome.output()).contains("can't fork");
        // 16 processes: the shell and 15 sleeps; or 14 sleeps when one more process still counted in the cgroup as
        // the bomb reached the limit (seen once in CI; most likely one of runc's short-lived init stages).
        int sleeps = outcome.output().lines().filter(l -> l.matches("[0-9]+")).mapToInt(Integer::parseInt).max().orElse(0);
        assertThat(sleeps).isBetween(14, 15);
        assertThat(cgroups.groups(uid)).isEmpty();
    }

    @Test
    void aStopIsSigtermThenSigkillWhenTheGraceRunsOut() throws Exception {
        var polite = new Started(container(uid(), 32, command("trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done")));
        waitFor(polite, "ready");
        polite.handle.requestStop(Duration.ofSeconds(30));
        var outcome = polite.outcome();
        runtime.delete(polite.uid);
        assertThat(outcome.ended().reason()).isEqualTo("StopRequested");
        assertThat(outcome.output()).endsWith("bye\n");

        // As pid 1 without a handler, sleep ignores SIGTERM: only SIGKILL ends it.
        var stubborn = new Started(container(uid(), 32, new Desired.ContainerSpec(List.of("/bin/sleep", "600"), null, null, null, 64, false)));
        stubborn.handle.requestStop(Duration.ofMillis(300));
        var forced = stubborn.outcome();
        runtime.delete(stubborn.uid);
        assertThat(forced.ended().reason()).isEqualTo("StopForced");
        assertThat(forced.ended().exitCode()).isEqualTo(137);
    }

    private static void waitFor(Started s, String text) throws InterruptedException {
        while (true) {
            synchronized (s.output) {
                if (s.output.toString(StandardCharsets.UTF_8).contains(text)) {
                    return;
                }
            }
            assertThat(s.ended).as("ended before printing " + text).isNotDone();
            Thread.sleep(10);
        }
    }

    @Test
    void execRunsInTheContainerAndTwoContainersDoNotShareFiles() throws Exception {
        var a = new Started(container(uid(), 32, command("echo secret > /root/a; echo ready; exec sleep 600")));
        var b = new Started(container(uid(), 32, command("echo ready; exec sleep 600")));
        waitFor(a, "ready");
        waitFor(b, "ready");
        var inA = runtime.exec(a.uid, List.of("sh", "-c", "cat /root/a; echo $FROM_IMAGE; exit 4"), Duration.ofSeconds(10));
        assertThat(inA.exitCode()).isEqualTo(4);
        assertThat(inA.output()).isEqualTo("secret\nyes\n");
        var inB = runtime.exec(b.uid, List.of("cat", "/root/a"), Duration.ofSeconds(10));
        assertThat(inB.exitCode()).isEqualTo(1);
        assertThat(inB.output()).contains("No such file");
        var slow = runtime.exec(b.uid, List.of("sleep", "600"), Duration.ofSeconds(1));
        assertThat(slow.timedOut()).isTrue();
        for (var s : List.of(a, b)) {
            s.handle.requestStop(Duration.ZERO);
            s.outcome();
            runtime.delete(s.uid);
        }
        assertThatThrownBy(() -> runtime.exec(a.uid, List.of("true"), Duration.ofSeconds(1)))
                .isInstanceOf(ContainerRuntime.NotRunningException.class);
    }

    @Test
    void aReadOnlyRootCannotBeWrittenButTmpCan() throws Exception {
        var outcome = run(container(uid(), 32, new Desired.ContainerSpec(null,
                List.of("touch /etc/x 2>&1; touch /tmp/x && echo tmp-ok"), Map.of("EXTRA", "1"), "/tmp", 64, true)));
        assertThat(outcome.output()).contains("Read-only file system", "tmp-ok");
    }

    @Test
    void aCommandThatDoesNotExistFailsToStart() {
        var d = container(uid(), 32, new Desired.ContainerSpec(List.of("/bin/nope"), null, null, null, 64, false));
        assertThatThrownBy(() -> new Started(d)).isInstanceOfSatisfying(WorkloadRuntime.StartException.class, e -> {
            assertThat(e.reason()).isEqualTo("StartFailed");
            assertThat(e.getMessage()).contains("/bin/nope");
        });
        runtime.delete(d.uid());
    }

    @Test
    void crunIsChosenOnlyWhereItRunsAContainer() throws Exception {
        // This project's hosts have cgroup v1 with a v2 mount beside it, which crun refuses; a v2 host it runs on.
        String chosen = RuntimeProbe.choose("auto", cgroups, state.resolve("containers"), json);
        var crun = new ContainerRuntime((project, name) -> busybox,
                new LayerStore(state.resolve("layers"), new ImageCache(state.resolve("images"), blobs), 1L << 30),
                state.resolve("containers"), "crun", cgroups, json);
        if (crun.unavailable().isPresent()) {
            assertThat(chosen).isEqualTo("runc");
            assertThat(crun.describe()).startsWith("none (crun ");
            var d = container(uid(), 32, command("true"));
            assertThatThrownBy(() -> new Started(crun, d)).isInstanceOfSatisfying(WorkloadRuntime.StartException.class,
                    e -> assertThat(e.reason()).isEqualTo("RuntimeUnavailable"));
            crun.delete(d.uid());
        } else {
            assertThat(chosen).isEqualTo("crun");
        }
        assertThat(runtime.unavailable()).isEmpty(); // runc was tried too, and runs containers here
    }

    @Test
    void whatAnEarlierAgentProcessLeftRunningIsRemovedWhenTheNextStarts() throws Exception {
        String uid = uid();
        var orphan = new Started(container(uid, 32, command("echo ready; exec sleep 600")));
        waitFor(orphan, "ready");
        // The next agent process over the same state: it finds the container under its runc root and removes it.
        var next = new ContainerRuntime((project, name) -> busybox,
                new LayerStore(state.resolve("layers"), new ImageCache(state.resolve("images"), blobs), 1L << 30),
                state.resolve("containers"), "runc", cgroups, json);
        next.cleanUpLeftovers();
        assertThat(runc.list()).isEmpty();
        assertThat(orphan.outcome().ended().exitCode()).isEqualTo(137);
        assertThat(cgroups.groups(uid)).isEmpty();
        next.delete(uid);
    }

    @Test
    void twoAttachedContainersReachEachOtherOnTheBridgeAndLeaveNoLinkOrNamespace() throws Exception {
        var links = new dev.corral.agent.runtime.IpLinks();
        String bridge = "crct" + Long.toHexString(ProcessHandle.current().pid() % 0xffffff);
        try {
            var attached = attachedRuntime(links, bridge);
            String server = uid();
            String client = uid();
            var web = new Started(attached, withNetwork(container(server, 32, command(
                    "echo hi > /tmp/index.html; httpd -p 8080 -h /tmp; echo ready; exec sleep 600")), "192.0.2.10"));
            waitFor(web, "ready");
            var outcome = new Started(attached, withNetwork(container(client, 32, command(
                    "ip -o -4 addr show eth0; wget -qO- http://192.0.2.10:8080/index.html")), "192.0.2.11")).outcome();
            assertThat(outcome.ended().reason()).as(outcome.output()).isEqualTo("Completed");
            assertThat(outcome.output()).contains("inet 192.0.2.11/24", "hi\n");
            web.handle.requestStop(Duration.ZERO);
            web.outcome();
            attached.delete(server);
            attached.delete(client);
            assertThat(links.ports(bridge)).isEmpty();
            assertThat(links.namespaceExists(ContainerNetwork.namespace(server))).isFalse();
            assertThat(links.namespaceExists(ContainerNetwork.namespace(client))).isFalse();
        } finally {
            links.delete(bridge);
        }
    }

    /** A runtime whose containers join the node's network on {@code bridge} (192.0.2.0/24, no taps). */
    private ContainerRuntime attachedRuntime(dev.corral.agent.runtime.IpLinks links, String bridge) {
        var network = dev.corral.agent.runtime.VmNetwork.setUp(links, bridge, java.util.Optional.of("192.0.2.0/24"), name -> {
            throw new java.io.IOException("no taps here");
        });
        return new ContainerRuntime((project, name) -> busybox,
                new LayerStore(state.resolve("layers"), new ImageCache(state.resolve("images"), blobs), 1L << 30),
                state.resolve("containers"), "runc", cgroups, network, json);
    }

    private static Desired withNetwork(Desired d, String ip) {
        return new Desired(d.kind(), d.uid(), d.name(), d.project(), d.generation(), d.vcpus(), d.memoryMiB(), d.image(), d.cmdline(),
                d.running(), d.restartToken(), d.devices(), d.appliedSequence(), d.stopGraceSeconds(), d.disks(),
                new Desired.Network(null, ip, "192.0.2.0/24"), d.diskGiB(), d.container());
    }

    /**
     * A hundred containers on the node's network, each created, run and deleted in turn: they share one unpacked
     * layer, and none leaves a mount, a cgroup (in any hierarchy), a veth or network namespace, runc state or a run
     * directory behind. Counted per container, so containers of other processes on this host do not count.
     */
    @Test
    void aHundredCreateDeleteCyclesLeaveNoMountCgroupVethOrRuncStateBehind() throws Exception {
        var links = new dev.corral.agent.runtime.IpLinks();
        String bridge = "crcy" + Long.toHexString(ProcessHandle.current().pid() % 0xffffff);
        try {
            var attached = attachedRuntime(links, bridge);
            var uids = new java.util.ArrayList<String>();
            for (int i = 0; i < 100; i++) {
                String uid = uid();
                uids.add(uid);
                var d = withNetwork(container(uid, 16, command("true")), "192.0.2." + (10 + i));
                var outcome = new Started(attached, d).outcome();
                attached.delete(uid);
                assertThat(outcome.ended().reason()).as(outcome.output()).isEqualTo("Completed");
            }
            int leftovers = 0;
            for (String uid : uids) {
                leftovers += cgroups.groups(uid).size();
                leftovers += links.namespaceExists(ContainerNetwork.namespace(uid)) ? 1 : 0;
                leftovers += Files.exists(Path.of("/sys/class/net", ContainerNetwork.hostLink(uid))) ? 1 : 0;
                leftovers += Files.exists(state.resolve("containers/runs").resolve(uid)) ? 1 : 0;
            }
            assertThat(leftovers).as("cgroups, network namespaces, veths and run directories left").isZero();
            assertThat(Mounts.under(state)).isEmpty();
            assertThat(runc.list()).isEmpty();
            assertThat(links.ports(bridge)).isEmpty();
            try (var layers = Files.list(state.resolve("layers"))) {
                assertThat(layers.toList()).hasSize(1);
            }
        } finally {
            links.delete(bridge);
        }
    }
}
