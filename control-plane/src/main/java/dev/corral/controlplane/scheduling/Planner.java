package dev.corral.controlplane.scheduling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.corral.api.DeviceRequest;

/**
 * Filter, then score, like kube-scheduler and Nova's filter scheduler. Pure: no I/O, so every rule is a unit test.
 * The ledger then makes the chosen placement atomic; a placement lost to a concurrent one moves on to the next
 * option.
 */
public final class Planner {

    /** One way to place the workload: a node and the device addresses (whole IOMMU groups) it would get. */
    public record Option(String node, List<String> devices, double score) {
    }

    /** The ranked options, best first, or none with the reasons every node was ruled out. */
    public record Plan(List<Option> options, String unschedulableMessage) {
        public boolean schedulable() {
            return !options.isEmpty();
        }
    }

    private final double cpuRatio;
    private final double memoryRatio;
    private final SchedulerConfig.Strategy strategy;

    public Planner(double cpuRatio, double memoryRatio, SchedulerConfig.Strategy strategy) {
        this.cpuRatio = cpuRatio;
        this.memoryRatio = memoryRatio;
        this.strategy = strategy;
    }

    private static final Comparator<Option> BEST_FIRST = Comparator.comparingDouble(Option::score).reversed().thenComparing(Option::node);

    /** Every option, best first. */
    public Plan plan(Demand demand, List<NodeState> nodes) {
        return plan(demand, nodes, Integer.MAX_VALUE);
    }

    /**
     * The best {@code limit} options, best first: the same as the first {@code limit} of {@link #plan(Demand, List)},
     * without ranking every node that fits (a create takes the best one of a thousand).
     */
    public Plan plan(Demand demand, List<NodeState> nodes, int limit) {
        boolean bounded = limit < nodes.size();
        var options = new ArrayList<Option>(Math.min(limit, nodes.size()) + 1);
        var reasons = new TreeMap<String, Integer>();
        for (NodeState node : nodes) {
            String why = ruledOut(demand, node);
            if (why != null) {
                reasons.merge(why, 1, Integer::sum);
                continue;
            }
            var devices = chooseDevices(demand.devices(), node);
            if (devices == null) {
                reasons.merge("insufficient devices", 1, Integer::sum);
                continue;
            }
            double score = score(demand, node, devices.numaLocal());
            if (!bounded) {
                options.add(new Option(node.name(), devices.addresses(), score));
                continue;
            }
            if (options.size() == limit && !better(score, node.name(), options.getLast())) {
                continue;
            }
            var option = new Option(node.name(), devices.addresses(), score);
            int at = options.size();
            while (at > 0 && BEST_FIRST.compare(option, options.get(at - 1)) < 0) {
                at--;
            }
            options.add(at, option);
            if (options.size() > limit) {
                options.removeLast();
            }
        }
        if (!bounded) {
            options.sort(BEST_FIRST);
        }
        return new Plan(options, options.isEmpty() ? message(nodes.size(), reasons) : null);
    }

    /** Whether a node with this score ranks before {@code option}: higher score, or the same and an earlier name. */
    private static boolean better(double score, String node, Option option) {
        int byScore = Double.compare(option.score(), score);
        return byScore < 0 || byScore == 0 && node.compareTo(option.node()) < 0;
    }

    /** The first filter a node fails, as the phrase that goes into the unschedulable message; null if it passes. */
    String ruledOut(Demand demand, NodeState node) {
        if (!node.ready()) {
            return "not ready";
        }
        if (node.cordoned()) {
            return "cordoned";
        }
        if (demand.nodeSelector() != null) {
            for (var e : demand.nodeSelector().entrySet()) {
                if (!e.getValue().equals(node.labels().get(e.getKey()))) {
                    return "node selector mismatch";
                }
            }
        }
        if (!demand.allowedAccelerators().isEmpty() && !demand.allowedAccelerators().contains(node.accelerator())) {
            return "accelerator not allowed";
        }
        if (demand.antiAffinityGroup() != null
                && node.antiAffinityGroups().contains(demand.project() + "/" + demand.antiAffinityGroup())) {
            return "anti-affinity group already present";
        }
        if (demand.network() && node.subnet() == null) {
            return "no VM network (the agent registered no subnet)";
        }
        if (demand.network() && node.freeAddresses() <= 0) {
            return "no free address in the VM subnet";
        }
        if (node.vcpusUsed() + demand.vcpus() > allocatableVcpus(node) + 1e-9) {
            return "insufficient cpu";
        }
        if (node.memoryMiBUsed() + demand.memoryMiB() > allocatableMemory(node)) {
            return "insufficient memory";
        }
        return null;
    }

    double allocatableVcpus(NodeState node) {
        return node.vcpus() * cpuRatio;
    }

    long allocatableMemory(NodeState node) {
        return (long) Math.floor(node.memoryMiB() * memoryRatio);
    }

    private double score(Demand demand, NodeState node, boolean numaLocal) {
        double cpu = allocatableVcpus(node) == 0 ? 1 : (node.vcpusUsed() + demand.vcpus()) / allocatableVcpus(node);
        double mem = allocatableMemory(node) == 0 ? 1 : (double) (node.memoryMiBUsed() + demand.memoryMiB()) / allocatableMemory(node);
        double load = (cpu + mem) / 2;
        double score = strategy == SchedulerConfig.Strategy.pack ? load : 1 - load;
        // Devices on one NUMA node beat devices spread across the machine, whatever the load.
        return numaLocal ? score + 1 : score;
    }

    record DeviceChoice(List<String> addresses, boolean numaLocal) {
    }

    /**
     * Picks whole, entirely free IOMMU groups that provide the requested devices; null when the node cannot.
     * Tries each NUMA node alone first, then the whole machine.
     */
    DeviceChoice chooseDevices(List<DeviceRequest> requests, NodeState node) {
        if (requests == null || requests.isEmpty()) {
            return new DeviceChoice(List.of(), false);
        }
        Map<Integer, List<NodeState.Device>> groups = new TreeMap<>();
        var taintedGroups = new HashSet<Integer>();
        for (var d : node.devices()) {
            if (d.iommuGroup() == null) {
                continue;
            }
            groups.computeIfAbsent(d.iommuGroup(), g -> new ArrayList<>()).add(d);
            if (!d.free()) {
                taintedGroups.add(d.iommuGroup());
            }
        }
        taintedGroups.forEach(groups::remove);
        var numaNodes = new TreeSet<Integer>();
        groups.values().forEach(g -> g.forEach(d -> numaNodes.add(d.numaNode())));
        for (int numa : numaNodes) {
            Map<Integer, List<NodeState.Device>> local = new LinkedHashMap<>();
            groups.forEach((id, members) -> {
                if (members.stream().allMatch(d -> d.numaNode() == numa)) {
                    local.put(id, members);
                }
            });
            var pick = pick(requests, local);
            if (pick != null) {
                return new DeviceChoice(pick, numa >= 0);
            }
        }
        var pick = pick(requests, groups);
        return pick == null ? null : new DeviceChoice(pick, false);
    }

    private static List<String> pick(List<DeviceRequest> requests, Map<Integer, List<NodeState.Device>> groups) {
        var used = new HashSet<Integer>();
        var addresses = new ArrayList<String>();
        for (var request : requests) {
            int needed = request.count() == null ? 1 : request.count();
            for (var group : groups.entrySet()) {
                if (needed <= 0) {
                    break;
                }
                if (used.contains(group.getKey())) {
                    continue;
                }
                long provides = group.getValue().stream().filter(d -> matches(request, d)).count();
                if (provides > 0) {
                    used.add(group.getKey());
                    needed -= (int) provides;
                    group.getValue().forEach(d -> addresses.add(d.address()));
                }
            }
            if (needed > 0) {
                return null;
            }
        }
        return addresses;
    }

    static boolean matches(DeviceRequest request, NodeState.Device d) {
        return request.deviceClass().equalsIgnoreCase(d.deviceClass())
                && (request.vendor() == null || request.vendor().equalsIgnoreCase(d.vendor()))
                && (request.device() == null || request.device().equalsIgnoreCase(d.device()));
    }

    /** {@code 0/3 nodes are available: 2 insufficient memory, 1 cordoned.} */
    static String message(int nodes, Map<String, Integer> reasons) {
        if (nodes == 0) {
            return "0/0 nodes are available: no nodes are registered.";
        }
        var parts = new ArrayList<String>();
        reasons.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> parts.add(e.getValue() + " " + e.getKey()));
        return "0/" + nodes + " nodes are available: " + String.join(", ", parts) + ".";
    }
}
