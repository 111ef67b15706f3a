package dev.corral.controlplane.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.corral.api.DeviceRequest;
import org.junit.jupiter.api.Test;

class PlannerTest {

    private final Planner spread = new Planner(4.0, 1.0, SchedulerConfig.Strategy.spread);
    private final Planner pack = new Planner(4.0, 1.0, SchedulerConfig.Strategy.pack);

    private static Demand demand(double vcpus, long memory) {
        return new Demand("default", vcpus, memory, List.of(), Map.of(), Set.of(), null);
    }

    private static NodeState node(String name, int vcpus, long memory, double vcpusUsed, long memoryUsed) {
        return new NodeState(name, vcpus, memory, vcpusUsed, memoryUsed, true, false, "kvm-hardware", Map.of(), List.of(), Set.of());
    }

    @Test
    void unschedulableMessageCountsEveryReasonLikeKubeScheduler() {
        var nodes = List.of(
                node("a", 2, 1024, 0, 1000),
                node("b", 2, 1024, 0, 900),
                new NodeState("c", 64, 65536, 0, 0, true, true, "kvm-hardware", Map.of(), List.of(), Set.of()));
        var plan = spread.plan(demand(1, 512), nodes);
        assertThat(plan.schedulable()).isFalse();
        assertThat(plan.unschedulableMessage()).isEqualTo("0/3 nodes are available: 2 insufficient memory, 1 cordoned.");
    }

    @Test
    void noNodesAtAllSaysSo() {
        assertThat(spread.plan(demand(1, 1), List.of()).unschedulableMessage())
                .isEqualTo("0/0 nodes are available: no nodes are registered.");
    }

    @Test
    void cpuAllocationRatioOvercommitsCpuButNeverMemory() {
        var n = node("a", 2, 4096, 7, 0);
        assertThat(spread.plan(demand(1, 1024), List.of(n)).schedulable()).isTrue();
        assertThat(spread.plan(demand(1.5, 1024), List.of(n)).unschedulableMessage()).contains("1 insufficient cpu");
        assertThat(spread.plan(demand(1, 4097), List.of(node("b", 2, 4096, 0, 0))).unschedulableMessage())
                .contains("1 insufficient memory");
    }

    @Test
    void spreadPrefersTheEmptierNodeAndPackTheFuller() {
        var nodes = List.of(node("busy", 8, 8192, 16, 4096), node("idle", 8, 8192, 0, 0));
        assertThat(spread.plan(demand(1, 512), nodes).options().getFirst().node()).isEqualTo("idle");
        assertThat(pack.plan(demand(1, 512), nodes).options().getFirst().node()).isEqualTo("busy");
    }

    @Test
    void theBestFewAreTheFirstOfTheWholeRankingTiesByName() {
        var nodes = new ArrayList<NodeState>();
        var random = new java.util.Random(19);
        for (int i = 0; i < 200; i++) {
            // Few distinct loads, so many nodes tie on score and their names decide; some do not fit at all.
            nodes.add(node("n-" + random.nextInt(1000) + "-" + i, 8, 8192, random.nextInt(4) * 8, random.nextInt(3) * 4096));
        }
        for (var planner : List.of(spread, pack)) {
            var all = planner.plan(demand(1, 4096), nodes);
            for (int limit : List.of(1, 3, 7)) {
                var best = planner.plan(demand(1, 4096), nodes, limit);
                assertThat(best.options()).isEqualTo(all.options().subList(0, limit));
            }
        }
        var none = spread.plan(demand(1, 9000), nodes, 1);
        assertThat(none.unschedulableMessage()).isEqualTo(spread.plan(demand(1, 9000), nodes).unschedulableMessage());
    }

    @Test
    void notReadyNodeSelectorAndAcceleratorAreFilters() {
        var notReady = new NodeState("down", 8, 8192, 0, 0, false, false, "kvm-hardware", Map.of(), List.of(), Set.of());
        var pvm = new NodeState("pvm", 8, 8192, 0, 0, true, false, "kvm-pvm", Map.of("zone", "a"), List.of(), Set.of());
        var hw = new NodeState("hw", 8, 8192, 0, 0, true, false, "kvm-hardware", Map.of("zone", "b"), List.of(), Set.of());
        var wantsHardwareInZoneA = new Demand("default", 1, 512, List.of(), Map.of("zone", "a"), Set.of("kvm-hardware"), null);
        assertThat(spread.plan(wantsHardwareInZoneA, List.of(notReady, pvm, hw)).unschedulableMessage())
                .isEqualTo("0/3 nodes are available: 1 accelerator not allowed, 1 node selector mismatch, 1 not ready.");
        var wantsZoneA = new Demand("default", 1, 512, List.of(), Map.of("zone", "a"), Set.of(), null);
        assertThat(spread.plan(wantsZoneA, List.of(notReady, pvm, hw)).options()).extracting(Planner.Option::node).containsExactly("pvm");
    }

    @Test
    void antiAffinityGroupKeepsMembersApartPerProject() {
        var withWeb = new NodeState("a", 8, 8192, 0, 0, true, false, "kvm-hardware", Map.of(), List.of(), Set.of("default/web"));
        var empty = node("b", 8, 8192, 6, 6000);
        var web = new Demand("default", 1, 512, List.of(), Map.of(), Set.of(), "web");
        assertThat(spread.plan(web, List.of(withWeb, empty)).options()).extracting(Planner.Option::node).containsExactly("b");
        var otherProjectsWeb = new Demand("other", 1, 512, List.of(), Map.of(), Set.of(), "web");
        assertThat(spread.plan(otherProjectsWeb, List.of(withWeb, empty)).options()).hasSize(2);
    }

    private static NodeState.Device dev(String address, String cls, int numa, Integer group, boolean free) {
        return new NodeState.Device(address, "10de", "2330", cls, numa, group, free);
    }

    private static NodeState gpuNode(String name, NodeState.Device... devices) {
        return new NodeState(name, 64, 262144, 0, 0, true, false, "kvm-hardware", Map.of(), List.of(devices), Set.of());
    }

    private static Demand gpus(int count) {
        return new Demand("default", 1, 512, List.of(new DeviceRequest("gpu", "10de", null, count)), Map.of(), Set.of(), null);
    }

    @Test
    void theWholeIommuGroupGoesWithTheDevice() {
        var n = gpuNode("g", dev("0000:3b:00.0", "gpu", 0, 7, true), dev("0000:3b:00.1", "multimedia", 0, 7, true));
        var option = spread.plan(gpus(1), List.of(n)).options().getFirst();
        assertThat(option.devices()).containsExactly("0000:3b:00.0", "0000:3b:00.1");
    }

    @Test
    void aGroupWithAnyDeviceInUseIsNotAssignable() {
        var n = gpuNode("g", dev("0000:3b:00.0", "gpu", 0, 7, true), dev("0000:3b:00.1", "multimedia", 0, 7, false));
        assertThat(spread.plan(gpus(1), List.of(n)).unschedulableMessage()).isEqualTo("0/1 nodes are available: 1 insufficient devices.");
    }

    @Test
    void deviceWithoutIommuGroupIsNeverAssigned() {
        var n = gpuNode("g", dev("0000:3b:00.0", "gpu", 0, null, true));
        assertThat(spread.plan(gpus(1), List.of(n)).schedulable()).isFalse();
    }

    @Test
    void vendorAndCountMustBeMet() {
        var n = gpuNode("g", dev("0000:3b:00.0", "gpu", 0, 1, true), dev("0000:5e:00.0", "gpu", 0, 2, true));
        assertThat(spread.plan(gpus(2), List.of(n)).options().getFirst().devices()).hasSize(2);
        assertThat(spread.plan(gpus(3), List.of(n)).schedulable()).isFalse();
        var amd = new Demand("default", 1, 512, List.of(new DeviceRequest("gpu", "1002", null, 1)), Map.of(), Set.of(), null);
        assertThat(spread.plan(amd, List.of(n)).schedulable()).isFalse();
    }

    @Test
    void numaLocalDevicesArePreferredWithinANodeAndAcrossNodes() {
        var split = gpuNode("split", dev("0000:3b:00.0", "gpu", 0, 1, true), dev("0000:af:00.0", "gpu", 1, 2, true));
        var local = gpuNode("local", dev("0000:3b:00.0", "gpu", 1, 1, true), dev("0000:3c:00.0", "gpu", 1, 2, true),
                dev("0000:af:00.0", "gpu", 0, 3, true));
        var plan = pack.plan(gpus(2), List.of(split, local));
        assertThat(plan.options().getFirst().node()).isEqualTo("local");
        assertThat(plan.options().getFirst().devices()).containsExactlyInAnyOrder("0000:3b:00.0", "0000:3c:00.0");
        // Without a NUMA-local choice, devices may still span NUMA nodes.
        assertThat(spread.plan(gpus(2), List.of(split)).options().getFirst().devices()).hasSize(2);
    }

    @Test
    void optionsAreRankedBestFirst() {
        var nodes = new ArrayList<NodeState>();
        for (int i = 0; i < 5; i++) {
            nodes.add(node("n" + i, 4, 4096, i, i * 512L));
        }
        assertThat(spread.plan(demand(1, 256), nodes).options()).extracting(Planner.Option::node)
                .containsExactly("n0", "n1", "n2", "n3", "n4");
    }

    @Test
    void networkAttachedVmsNeedANodeWithASubnetAndAFreeAddress() {
        var planner = new Planner(1, 1, SchedulerConfig.Strategy.spread);
        var attached = new Demand("default", 1, 512, List.of(), Map.of(), Set.of(), null, true);
        var bare = new NodeState("bare", 8, 8192, 0, 0, true, false, "kvm-hardware", Map.of(), List.of(), Set.of());
        var full = new NodeState("full", 8, 8192, 0, 0, true, false, "kvm-hardware", Map.of(), List.of(), Set.of(), "10.0.0.0/29", 0);
        var open = new NodeState("open", 8, 8192, 0, 0, true, false, "kvm-hardware", Map.of(), List.of(), Set.of(), "10.0.1.0/29", 1);
        assertThat(planner.plan(attached, List.of(bare, full)).unschedulableMessage())
                .isEqualTo("0/2 nodes are available: 1 no VM network (the agent registered no subnet), 1 no free address in the VM subnet.");
        assertThat(planner.plan(attached, List.of(bare, full, open)).options()).extracting(Planner.Option::node).containsExactly("open");
        var unattached = new Demand("default", 1, 512, List.of(), Map.of(), Set.of(), null, false);
        assertThat(planner.plan(unattached, List.of(bare, full)).options()).hasSize(2);
    }
}
