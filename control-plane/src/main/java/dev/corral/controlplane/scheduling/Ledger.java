package dev.corral.controlplane.scheduling;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.DeviceClasses;
import dev.corral.api.PciDevice;
import dev.corral.api.Resources;
import dev.corral.controlplane.network.Subnet;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The capacity ledger: what each node has, what is placed on it, and which devices are whose. Every method joins
 * the caller's transaction. Reservations are single conditional statements, so they hold under any concurrency.
 */
@ApplicationScoped
public class Ledger {

    /** Hashed: the planner looks a selector's labels up on every node for every placement. */
    private static final TypeReference<HashMap<String, String>> LABELS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final ObjectMapper json;

    Ledger(DataSource dataSource, ObjectMapper json) {
        this.dataSource = dataSource;
        this.json = json;
    }

    /**
     * The write order: a transaction that changes ledger rows takes the resourceVersion counter's lock first, before any
     * ledger row. Every object write takes that lock too (docs/0002), so a transaction that writes both never holds a
     * ledger row while it waits for the counter; otherwise one that placed a workload (ledger row, then counter) and a
     * shared commit of several creates (counter from the first create, then a later create's ledger row) could wait for
     * each other until PostgreSQL's deadlock timeout. The lock is held to commit; taking it again is free.
     */
    private static Connection writeOrder(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM resource_version_counter WHERE id = 1 FOR UPDATE")) {
            s.execute();
        }
        return c;
    }

    /** Every node, with its devices and the anti-affinity groups on it. */
    public List<NodeState> snapshot() {
        try (Connection c = dataSource.getConnection()) {
            Map<String, List<NodeState.Device>> devices = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT node, address, vendor, device, device_class, numa_node, iommu_group, workload_uid FROM node_device");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    Integer group = rs.getObject(7) == null ? null : rs.getInt(7);
                    devices.computeIfAbsent(rs.getString(1), n -> new ArrayList<>()).add(new NodeState.Device(
                            rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6), group,
                            rs.getObject(8) == null));
                }
            }
            Map<String, Set<String>> groups = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT node, project || '/' || group_name FROM anti_affinity_member");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    groups.computeIfAbsent(rs.getString(1), n -> new HashSet<>()).add(rs.getString(2));
                }
            }
            Map<String, Long> addressesUsed = new HashMap<>();
            try (PreparedStatement s = c.prepareStatement("SELECT subnet, count(*) FROM vm_address GROUP BY subnet");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    addressesUsed.put(rs.getString(1), rs.getLong(2));
                }
            }
            var nodes = new ArrayList<NodeState>();
            try (PreparedStatement s = c.prepareStatement("SELECT node, vcpus, memory_mib, vcpus_used, memory_mib_used, "
                    + "ready, cordoned, accelerator, labels, subnet FROM node_capacity ORDER BY node");
                 ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    String subnet = rs.getString(10);
                    long freeAddresses = subnet == null ? 0
                            : AddressPool.size(Subnet.parse(subnet)) - addressesUsed.getOrDefault(subnet, 0L);
                    nodes.add(new NodeState(name, rs.getInt(2), rs.getLong(3), rs.getDouble(4), rs.getLong(5),
                            rs.getBoolean(6), rs.getBoolean(7), rs.getString(8), json.readValue(rs.getString(9), LABELS),
                            devices.getOrDefault(name, List.of()), groups.getOrDefault(name, Set.of()), subnet, freeAddresses));
                }
            }
            return nodes;
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("reading the capacity ledger", e);
        }
    }

    /**
     * Reserves capacity, devices and the anti-affinity slot for one workload on one node. False when a concurrent
     * placement got there first (or the node stopped being schedulable); the caller must then roll back.
     */
    public boolean reserve(String node, UUID workload, Demand demand, List<String> devices, double cpuRatio, double memoryRatio) {
        if (!reserveAll(List.of(new Booking(node, demand.vcpus(), demand.memoryMiB())), cpuRatio, memoryRatio).contains(node)) {
            return false;
        }
        try (Connection c = dataSource.getConnection()) {
            if (!devices.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement("UPDATE node_device SET workload_uid = ? "
                        + "WHERE node = ? AND address = ANY (?) AND workload_uid IS NULL AND iommu_group IS NOT NULL")) {
                    s.setObject(1, workload);
                    s.setString(2, node);
                    s.setArray(3, c.createArrayOf("text", devices.toArray()));
                    if (s.executeUpdate() != devices.size()) {
                        return false;
                    }
                }
            }
            if (demand.antiAffinityGroup() != null) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO anti_affinity_member (project, group_name, node, "
                        + "workload_uid) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                    s.setString(1, demand.project());
                    s.setString(2, demand.antiAffinityGroup());
                    s.setString(3, node);
                    s.setObject(4, workload);
                    if (s.executeUpdate() != 1) {
                        return false;
                    }
                }
            }
            return true;
        } catch (SQLException e) {
            throw new StoreException("reserving capacity on node " + node, e);
        }
    }

    /** Capacity to take on one node: the sum of the workloads placed on it together. */
    public record Booking(String node, double vcpus, long memoryMiB) {

        Booking plus(Booking other) {
            return new Booking(node, vcpus + other.vcpus, memoryMiB + other.memoryMiB);
        }
    }

    /**
     * Takes the capacity of many placements at once, one booking per node, in one conditional statement; answers the
     * nodes whose booking fitted whole. A node left out took nothing (a concurrent placement got there first, or it
     * stopped being schedulable): the workloads booked there are the caller's to place again. Capacity only:
     * {@link #reserve} takes a placement's devices and anti-affinity slot after its capacity.
     */
    public Set<String> reserveAll(Collection<Booking> bookings, double cpuRatio, double memoryRatio) {
        int n = bookings.size();
        var nodes = new String[n];
        var vcpus = new Double[n];
        var memory = new Long[n];
        int i = 0;
        for (var b : bookings) {
            nodes[i] = b.node();
            vcpus[i] = b.vcpus();
            memory[i] = b.memoryMiB();
            i++;
        }
        // The write order in the same round trip: the update joins the counter row locked FOR UPDATE, so it has a row
        // to write (and a ledger row to lock) only once the counter's lock is held.
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("WITH ordered AS (SELECT id FROM resource_version_counter WHERE id = 1 FOR UPDATE) "
                     + "UPDATE node_capacity n SET vcpus_used = n.vcpus_used + b.vcpus, memory_mib_used = n.memory_mib_used + b.memory_mib, "
                     + "version = n.version + 1 FROM ordered, unnest(?::text[], ?::float8[], ?::bigint[]) AS b(node, vcpus, memory_mib) "
                     + "WHERE n.node = b.node AND n.ready AND NOT n.cordoned AND n.vcpus_used + b.vcpus <= n.vcpus * ? + 1e-9 "
                     + "AND n.memory_mib_used + b.memory_mib <= floor(n.memory_mib * ?) RETURNING n.node")) {
            s.setArray(1, c.createArrayOf("text", nodes));
            s.setArray(2, c.createArrayOf("float8", vcpus));
            s.setArray(3, c.createArrayOf("bigint", memory));
            s.setDouble(4, cpuRatio);
            s.setDouble(5, memoryRatio);
            var reserved = new HashSet<String>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    reserved.add(rs.getString(1));
                }
            }
            return reserved;
        } catch (SQLException e) {
            throw new StoreException("reserving capacity on " + n + " nodes", e);
        }
    }

    /** Gives back everything a workload held on its node: capacity, devices, its anti-affinity slot, its address. */
    public void release(UUID workload, String node, Resources held) {
        try (Connection c = dataSource.getConnection()) {
            writeOrder(c);
            if (held != null) {
                try (PreparedStatement s = c.prepareStatement("UPDATE node_capacity SET "
                        + "vcpus_used = greatest(0, vcpus_used - ?), memory_mib_used = greatest(0, memory_mib_used - ?), "
                        + "version = version + 1 WHERE node = ?")) {
                    s.setDouble(1, held.vcpus());
                    s.setLong(2, held.memoryMiB());
                    s.setString(3, node);
                    s.executeUpdate();
                }
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE node_device SET workload_uid = NULL WHERE workload_uid = ?")) {
                s.setObject(1, workload);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM anti_affinity_member WHERE workload_uid = ?")) {
                s.setObject(1, workload);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM vm_address WHERE workload_uid = ?")) {
                s.setObject(1, workload);
                s.executeUpdate();
            }
        } catch (SQLException e) {
            throw new StoreException("releasing capacity on node " + node, e);
        }
    }

    /**
     * Creates or refreshes a node's ledger row and devices from its agent's registration; the node is Ready.
     *
     * @param subnet the node's VM network in CIDR form (already validated), null when it has none
     */
    public void register(String node, int vcpus, long memoryMiB, String accelerator, Map<String, String> labels, List<PciDevice> devices,
            String subnet) {
        try (Connection c = dataSource.getConnection()) {
            writeOrder(c);
            try (PreparedStatement s = c.prepareStatement("INSERT INTO node_capacity (node, vcpus, memory_mib, ready, "
                    + "last_heartbeat, accelerator, labels, subnet) VALUES (?, ?, ?, true, now(), ?, ?::jsonb, ?) ON CONFLICT (node) DO UPDATE "
                    + "SET vcpus = excluded.vcpus, memory_mib = excluded.memory_mib, ready = true, last_heartbeat = now(), "
                    + "accelerator = excluded.accelerator, labels = excluded.labels, subnet = excluded.subnet, "
                    + "version = node_capacity.version + 1")) {
                s.setString(1, node);
                s.setInt(2, vcpus);
                s.setLong(3, memoryMiB);
                s.setString(4, accelerator);
                s.setString(5, json.writeValueAsString(labels));
                s.setString(6, subnet);
                s.executeUpdate();
            }
            var reported = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("INSERT INTO node_device (node, address, vendor, device, class_code, "
                    + "device_class, numa_node, iommu_group, driver) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node, address) "
                    + "DO UPDATE SET vendor = excluded.vendor, device = excluded.device, class_code = excluded.class_code, "
                    + "device_class = excluded.device_class, numa_node = excluded.numa_node, iommu_group = excluded.iommu_group, "
                    + "driver = excluded.driver")) {
                for (PciDevice d : devices) {
                    reported.add(d.address());
                    s.setString(1, node);
                    s.setString(2, d.address());
                    s.setString(3, d.vendor());
                    s.setString(4, d.device());
                    s.setString(5, d.classCode());
                    s.setString(6, DeviceClasses.of(d.classCode()));
                    s.setInt(7, d.numaNode() == null ? -1 : d.numaNode());
                    s.setObject(8, d.iommuGroup());
                    s.setString(9, d.driver());
                    s.addBatch();
                }
                s.executeBatch();
            }
            // Devices the host no longer reports go, unless a workload still holds them.
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM node_device WHERE node = ? AND NOT (address = ANY (?)) AND workload_uid IS NULL")) {
                s.setString(1, node);
                s.setArray(2, c.createArrayOf("text", reported.toArray()));
                s.executeUpdate();
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("registering node " + node, e);
        }
    }

    /**
     * Records a heartbeat. True when the node was NotReady and is Ready again. The heartbeat of a Ready node (nearly
     * all of them) touches its ledger row only: it is followed by no object write, so it need not keep the write order.
     */
    public boolean heartbeat(String node) {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("UPDATE node_capacity SET last_heartbeat = now() WHERE node = ? AND ready")) {
                s.setString(1, node);
                if (s.executeUpdate() == 1) {
                    return false;
                }
            }
            writeOrder(c);
            boolean wasReady;
            try (PreparedStatement s = c.prepareStatement("SELECT ready FROM node_capacity WHERE node = ? FOR UPDATE")) {
                s.setString(1, node);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return false;
                    }
                    wasReady = rs.getBoolean(1);
                }
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE node_capacity SET last_heartbeat = now(), ready = true WHERE node = ?")) {
                s.setString(1, node);
                s.executeUpdate();
            }
            return !wasReady;
        } catch (SQLException e) {
            throw new StoreException("recording a heartbeat of node " + node, e);
        }
    }

    public void setCordoned(String node, boolean cordoned) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = writeOrder(c).prepareStatement("UPDATE node_capacity SET cordoned = ?, version = version + 1 WHERE node = ?")) {
            s.setBoolean(1, cordoned);
            s.setString(2, node);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("cordoning node " + node, e);
        }
    }

    /** Marks nodes silent for longer than {@code timeout} NotReady; returns their names. */
    public List<String> expireHeartbeats(Duration timeout) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = writeOrder(c).prepareStatement("UPDATE node_capacity SET ready = false, version = version + 1 "
                     + "WHERE ready AND last_heartbeat < now() - make_interval(secs => ?) RETURNING node")) {
            s.setDouble(1, timeout.toMillis() / 1000.0);
            var expired = new ArrayList<String>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    expired.add(rs.getString(1));
                }
            }
            return expired;
        } catch (SQLException e) {
            throw new StoreException("expiring node heartbeats", e);
        }
    }

    /** What the node API shows of the ledger. */
    public record NodeUsage(Resources allocated, Instant lastHeartbeat, boolean ready, List<PciDevice> devices) {
    }

    public NodeUsage usage(String node) {
        try (Connection c = dataSource.getConnection()) {
            Resources allocated;
            Instant heartbeat;
            boolean ready;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT vcpus_used, memory_mib_used, last_heartbeat, ready FROM node_capacity WHERE node = ?")) {
                s.setString(1, node);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    allocated = new Resources(rs.getDouble(1), rs.getLong(2));
                    heartbeat = rs.getTimestamp(3).toInstant();
                    ready = rs.getBoolean(4);
                }
            }
            var devices = new ArrayList<PciDevice>();
            try (PreparedStatement s = c.prepareStatement("SELECT address, vendor, device, class_code, device_class, numa_node, "
                    + "iommu_group, driver, workload_uid FROM node_device WHERE node = ? ORDER BY address")) {
                s.setString(1, node);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        devices.add(new PciDevice(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getString(5), rs.getInt(6), rs.getObject(7) == null ? null : rs.getInt(7), rs.getString(8),
                                rs.getString(9)));
                    }
                }
            }
            return new NodeUsage(allocated, heartbeat, ready, devices);
        } catch (SQLException e) {
            throw new StoreException("reading the ledger of node " + node, e);
        }
    }

    public void forget(String node) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = writeOrder(c).prepareStatement("DELETE FROM node_capacity WHERE node = ?")) {
            s.setString(1, node);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("removing node " + node, e);
        }
    }
}
