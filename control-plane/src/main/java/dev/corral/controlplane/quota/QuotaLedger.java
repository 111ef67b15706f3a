package dev.corral.controlplane.quota;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.sql.DataSource;

import dev.corral.api.DeviceRequest;
import dev.corral.api.Quota;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.problem.QuotaExceededException;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What each project's workloads hold against its quota, changed in the caller's transaction. A charge is one
 * conditional upsert per row it touches (the project's, then each device class's, in name order so that two charges
 * never wait on each other crosswise): PostgreSQL re-checks the condition on the row as the previous writer left it,
 * so two concurrent charges cannot both pass the last unit, whichever control-plane replica runs them. When a
 * condition fails the caller's transaction must roll back (the exception does that), undoing whatever this charge or
 * the create it belongs to wrote.
 *
 * <p>Only growth is checked: a release, or a reshape's shrinking part, always passes, so a project above a lowered
 * limit can still shrink.
 */
@ApplicationScoped
public class QuotaLedger {

    /** What one workload holds: the sum over its life of every charge minus every release is zero. */
    public record Charge(BigDecimal vcpus, long memoryMiB, int instances, Map<String, Integer> devices) {

        public static final Charge NONE = new Charge(BigDecimal.ZERO, 0, 0, Map.of());

        /** What a workload with this status holds: its resources, one instance, and its device requests by class. */
        public static Charge of(WorkloadStatus status) {
            var devices = new TreeMap<String, Integer>();
            if (status.deviceRequests() != null) {
                for (DeviceRequest r : status.deviceRequests()) {
                    devices.merge(r.deviceClass(), r.count() == null ? 1 : r.count(), Integer::sum);
                }
            }
            var r = status.resources();
            return new Charge(r == null ? BigDecimal.ZERO : BigDecimal.valueOf(r.vcpus()), r == null ? 0 : r.memoryMiB(), 1, devices);
        }

        /** {@code this - other}, dimension by dimension. */
        Charge minus(Charge other) {
            var devices = new TreeMap<>(this.devices);
            other.devices.forEach((k, v) -> devices.merge(k, -v, Integer::sum));
            return new Charge(vcpus.subtract(other.vcpus), memoryMiB - other.memoryMiB, instances - other.instances, devices);
        }

        /** {@code this + other}, dimension by dimension. */
        Charge plus(Charge other) {
            return minus(other.negated());
        }

        Charge negated() {
            return NONE.minus(this);
        }
    }

    private final DataSource dataSource;

    QuotaLedger(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Charges a new workload; {@link QuotaExceededException} (403) when a limit would be passed. */
    public void charge(Connection c, String project, Charge charge) {
        apply(c, project, charge);
    }

    /** Gives back all a deleted workload held. */
    public void release(Connection c, String project, Charge held) {
        apply(c, project, held.negated());
    }

    /** A workload's shape changed from {@code before} to {@code after}: charges the growth, gives back the rest. */
    public void reshape(Connection c, String project, Charge before, Charge after) {
        apply(c, project, after.minus(before));
    }

    /** {@link #charge(Connection, String, Charge)} on a connection of the caller's (JTA) transaction. */
    public void charge(String project, Charge charge) {
        inTransaction(c -> charge(c, project, charge));
    }

    /**
     * Charges many new workloads at once ({@code charges.get(i)} is what the one of {@code projects.get(i)} holds), on
     * a connection of the caller's (JTA) transaction: one charge of their sum per project, projects in name order. A
     * sum that passes a limit is a {@link QuotaExceededException} for the sum, even when some of them alone would fit:
     * the caller that needs each one's own outcome then charges them one by one.
     */
    public void chargeAll(List<String> projects, List<Charge> charges) {
        var sums = new TreeMap<String, Charge>();
        for (int i = 0; i < projects.size(); i++) {
            sums.merge(projects.get(i), charges.get(i), Charge::plus);
        }
        inTransaction(c -> {
            for (var sum : sums.entrySet()) {
                charge(c, sum.getKey(), sum.getValue());
            }
        });
    }

    /** {@link #release(Connection, String, Charge)} on a connection of the caller's (JTA) transaction. */
    public void release(String project, Charge held) {
        inTransaction(c -> release(c, project, held));
    }

    /** {@link #reshape(Connection, String, Charge, Charge)} on a connection of the caller's (JTA) transaction. */
    public void reshape(String project, Charge before, Charge after) {
        inTransaction(c -> reshape(c, project, before, after));
    }

    private interface Work {
        void run(Connection c) throws SQLException;
    }

    private void inTransaction(Work work) {
        // Agroal enlists the connection in the caller's transaction: the charge commits or rolls back with it.
        try (Connection c = dataSource.getConnection()) {
            work.run(c);
        } catch (SQLException e) {
            throw new StoreException("changing what a project holds against its quota", e);
        }
    }

    private static final String CHARGE_PROJECT = """
            INSERT INTO quota AS q (project, vcpus_used, memory_mib_used, instances_used) VALUES (?, ?, ?, ?)
            ON CONFLICT (project) DO UPDATE SET vcpus_used = q.vcpus_used + excluded.vcpus_used,
                memory_mib_used = q.memory_mib_used + excluded.memory_mib_used, instances_used = q.instances_used + excluded.instances_used
            WHERE (excluded.vcpus_used <= 0 OR q.vcpus IS NULL OR q.vcpus_used + excluded.vcpus_used <= q.vcpus)
              AND (excluded.memory_mib_used <= 0 OR q.memory_mib IS NULL OR q.memory_mib_used + excluded.memory_mib_used <= q.memory_mib)
              AND (excluded.instances_used <= 0 OR q.instances IS NULL OR q.instances_used + excluded.instances_used <= q.instances)""";

    private static final String CHARGE_DEVICES = """
            INSERT INTO quota_device AS q (project, device_class, used) VALUES (?, ?, ?)
            ON CONFLICT (project, device_class) DO UPDATE SET used = q.used + excluded.used
            WHERE excluded.used <= 0 OR q.count IS NULL OR q.used + excluded.used <= q.count""";

    private void apply(Connection c, String project, Charge delta) {
        try {
            if (delta.vcpus().signum() != 0 || delta.memoryMiB() != 0 || delta.instances() != 0) {
                try (PreparedStatement s = c.prepareStatement(CHARGE_PROJECT)) {
                    s.setString(1, project);
                    s.setBigDecimal(2, delta.vcpus());
                    s.setLong(3, delta.memoryMiB());
                    s.setInt(4, delta.instances());
                    if (s.executeUpdate() != 1) {
                        throw exceeded(c, project, delta, null);
                    }
                }
            }
            for (var d : new TreeMap<>(delta.devices()).entrySet()) {
                if (d.getValue() == 0) {
                    continue;
                }
                try (PreparedStatement s = c.prepareStatement(CHARGE_DEVICES)) {
                    s.setString(1, project);
                    s.setString(2, d.getKey());
                    s.setInt(3, d.getValue());
                    if (s.executeUpdate() != 1) {
                        throw exceeded(c, project, delta, d.getKey());
                    }
                }
            }
        } catch (SQLException e) {
            throw new StoreException("changing what project " + project + " holds against its quota", e);
        }
    }

    /**
     * The 403 for a charge whose statement for the project's row ({@code deviceClass} null) or for one device class
     * did not pass: the limit it would break, with what is in use and what was requested. What is in use is read in
     * the same transaction, so it includes the rows this charge already changed: only the refused row is looked at.
     */
    private QuotaExceededException exceeded(Connection c, String project, Charge delta, String deviceClass) throws SQLException {
        var quota = read(c, project);
        var limits = quota.limits();
        var used = quota.used();
        String broken = null;
        if (deviceClass != null) {
            Integer limit = limits.devices() == null ? null : limits.devices().get(deviceClass);
            int inUse = used.devices().getOrDefault(deviceClass, 0);
            int requested = delta.devices().get(deviceClass);
            if (limit != null && inUse + requested > limit) {
                broken = "devices." + deviceClass + " " + inUse + " in use + " + requested + " requested > limit " + limit;
            }
        } else if (delta.vcpus().signum() > 0 && limits.vcpus() != null
                && BigDecimal.valueOf(used.vcpus()).add(delta.vcpus()).compareTo(BigDecimal.valueOf(limits.vcpus())) > 0) {
            broken = "vcpus " + number(used.vcpus()) + " in use + " + delta.vcpus().stripTrailingZeros().toPlainString()
                    + " requested > limit " + limits.vcpus();
        } else if (delta.memoryMiB() > 0 && limits.memoryMiB() != null && used.memoryMiB() + delta.memoryMiB() > limits.memoryMiB()) {
            broken = "memoryMiB " + used.memoryMiB() + " in use + " + delta.memoryMiB() + " requested > limit " + limits.memoryMiB();
        } else if (delta.instances() > 0 && limits.instances() != null && used.instances() + delta.instances() > limits.instances()) {
            broken = "instances " + used.instances() + " in use + " + delta.instances() + " requested > limit " + limits.instances();
        }
        // Null when the row changed between the refused statement and this read (a release committed meanwhile).
        return new QuotaExceededException("Quota exceeded in project " + project + ": "
                + (broken != null ? broken : "a limit was reached while this request ran; try again") + ".");
    }

    static String number(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** The project's limits and what is in use (none and nothing for a project that has never had either). */
    public Quota read(String project) {
        try (Connection c = dataSource.getConnection()) {
            return read(c, project);
        } catch (SQLException e) {
            throw new StoreException("reading the quota of project " + project, e);
        }
    }

    Quota read(Connection c, String project) throws SQLException {
        Integer vcpus = null;
        Long memory = null;
        Integer instances = null;
        double vcpusUsed = 0;
        long memoryUsed = 0;
        int instancesUsed = 0;
        try (PreparedStatement s = c.prepareStatement(
                "SELECT vcpus, memory_mib, instances, vcpus_used, memory_mib_used, instances_used FROM quota WHERE project = ?")) {
            s.setString(1, project);
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    vcpus = (Integer) rs.getObject(1);
                    memory = (Long) rs.getObject(2);
                    instances = (Integer) rs.getObject(3);
                    vcpusUsed = rs.getBigDecimal(4).doubleValue();
                    memoryUsed = rs.getLong(5);
                    instancesUsed = rs.getInt(6);
                }
            }
        }
        var deviceLimits = new TreeMap<String, Integer>();
        var devicesUsed = new TreeMap<String, Integer>();
        try (PreparedStatement s = c.prepareStatement("SELECT device_class, count, used FROM quota_device WHERE project = ? ORDER BY device_class")) {
            s.setString(1, project);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (rs.getObject(2) != null) {
                        deviceLimits.put(rs.getString(1), rs.getInt(2));
                    }
                    devicesUsed.put(rs.getString(1), rs.getInt(3));
                }
            }
        }
        return new Quota(project, new Quota.Limits(vcpus, memory, instances, deviceLimits.isEmpty() ? null : deviceLimits),
                new Quota.Usage(vcpusUsed, memoryUsed, instancesUsed, devicesUsed));
    }

    /**
     * Replaces the project's limits (absent ones become unlimited), whatever is in use: a limit below it refuses new
     * creates and leaves the workloads that exist alone. Joins the caller's transaction.
     */
    public void setLimits(String project, Quota.Limits limits) {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO quota (project, vcpus, memory_mib, instances) VALUES (?, ?, ?, ?)
                    ON CONFLICT (project) DO UPDATE SET vcpus = excluded.vcpus, memory_mib = excluded.memory_mib, instances = excluded.instances""")) {
                s.setString(1, project);
                s.setObject(2, limits.vcpus(), java.sql.Types.INTEGER);
                s.setObject(3, limits.memoryMiB(), java.sql.Types.BIGINT);
                s.setObject(4, limits.instances(), java.sql.Types.INTEGER);
                s.executeUpdate();
            }
            Map<String, Integer> devices = limits.devices() == null ? Map.of() : limits.devices();
            try (PreparedStatement s = c.prepareStatement("UPDATE quota_device SET count = NULL WHERE project = ? AND NOT (device_class = ANY (?))")) {
                s.setString(1, project);
                s.setArray(2, c.createArrayOf("text", devices.keySet().toArray()));
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO quota_device (project, device_class, count) VALUES (?, ?, ?)
                    ON CONFLICT (project, device_class) DO UPDATE SET count = excluded.count""")) {
                for (var d : new TreeMap<>(devices).entrySet()) {
                    s.setString(1, project);
                    s.setString(2, d.getKey());
                    s.setInt(3, d.getValue());
                    s.addBatch();
                }
                s.executeBatch();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM quota_device WHERE project = ? AND count IS NULL AND used = 0")) {
                s.setString(1, project);
                s.executeUpdate();
            }
        } catch (SQLException e) {
            throw new StoreException("setting the quota of project " + project, e);
        }
    }
}
