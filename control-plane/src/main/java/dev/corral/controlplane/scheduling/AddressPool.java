package dev.corral.controlplane.scheduling;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

import javax.sql.DataSource;

import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.network.Subnet;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * VM addresses on the nodes' subnets. Every method joins the caller's transaction. A subnet's pool is shared by every
 * node that registered it; an allocation holds a transaction-scoped advisory lock on the subnet, so two placements at
 * once (any number of control-plane replicas) look for the lowest free address one after the other, and the table's
 * primary key refuses a double grant whatever happens.
 */
@ApplicationScoped
public class AddressPool {

    private final DataSource dataSource;

    AddressPool(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Gives the workload the lowest free address of its node's subnet: never the network address, the gateway (the
     * first host address) or the broadcast address. Null when the node has no subnet or the subnet is full: the caller
     * must then roll back. Call it
     * after {@link Ledger#reserve}, whose update holds the node's row, so the subnet read here is the one the node has.
     */
    public WorkloadStatus.Network allocate(String node, UUID workload, String mac) {
        try (Connection c = dataSource.getConnection()) {
            String cidr;
            try (PreparedStatement s = c.prepareStatement("SELECT subnet FROM node_capacity WHERE node = ?")) {
                s.setString(1, node);
                try (ResultSet rs = s.executeQuery()) {
                    cidr = rs.next() ? rs.getString(1) : null;
                }
            }
            if (cidr == null) {
                return null;
            }
            var subnet = Subnet.parse(cidr);
            try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended('vm_address ' || ?, 0))")) {
                s.setString(1, cidr);
                s.execute();
            }
            long candidate = subnet.firstVmAddress();
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT address FROM vm_address WHERE subnet = ? AND address >= ? ORDER BY address")) {
                s.setString(1, cidr);
                s.setLong(2, candidate);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next() && rs.getLong(1) == candidate) {
                        candidate++;
                    }
                }
            }
            if (candidate > subnet.lastVmAddress()) {
                return null;
            }
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO vm_address (subnet, address, workload_uid) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                s.setString(1, cidr);
                s.setLong(2, candidate);
                s.setObject(3, workload);
                if (s.executeUpdate() != 1) {
                    // Only without the lock (a future change): then the caller's placement is lost and tried again.
                    return null;
                }
            }
            return new WorkloadStatus.Network(mac, Subnet.format(candidate), cidr);
        } catch (SQLException e) {
            throw new StoreException("allocating an address on node " + node, e);
        }
    }

    /** Frees the workload's address, if it holds one. */
    public void release(UUID workload) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM vm_address WHERE workload_uid = ?")) {
            s.setObject(1, workload);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("freeing the address of " + workload, e);
        }
    }

    /** A subnet's VM addresses in all. */
    static long size(Subnet subnet) {
        return subnet.lastVmAddress() - subnet.firstVmAddress() + 1;
    }
}
