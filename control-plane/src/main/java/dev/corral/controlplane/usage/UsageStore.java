package dev.corral.controlplane.usage;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The meter's tables. Every method joins the caller's transaction; each does one round trip whatever the number
 * of rows (arrays and {@code unnest}, or {@code COPY}), which is what lets the meter keep up with a busy topic.
 */
@ApplicationScoped
public class UsageStore {

    private static final TypeReference<Map<String, Integer>> DEVICES = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final ObjectMapper json;

    UsageStore(DataSource dataSource, ObjectMapper json) {
        this.dataSource = dataSource;
        this.json = json;
    }

    /**
     * Lets this transaction commit without waiting for its WAL flush. Safe for the meter: the event ids, the usage
     * and the topic position are in one transaction, so a crash can only lose whole recent batches, position
     * included, and those are read again from Kafka. Nothing is counted twice or lost.
     */
    void relaxCommitDurability() {
        update("SET LOCAL synchronous_commit TO off", (c, s) -> {
        });
    }

    /**
     * Keeps events that wait for an earlier sequence of their workload, with their content. An id already kept (a
     * repeat, or another meter's copy) is left alone.
     */
    void addPending(List<UsageEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        int n = events.size();
        var ids = new String[n];
        var uids = new String[n];
        var sequences = new Long[n];
        var bodies = new String[n];
        for (int i = 0; i < n; i++) {
            var e = events.get(i);
            ids[i] = e.id();
            uids[i] = e.uid();
            sequences[i] = e.sequence();
            bodies[i] = write(e);
        }
        update("INSERT INTO usage_pending (id, uid, sequence, event) SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::jsonb[]) "
                + "ON CONFLICT (id) DO NOTHING", (c, s) -> {
            s.setArray(1, c.createArrayOf("text", ids));
            s.setArray(2, c.createArrayOf("text", uids));
            s.setArray(3, c.createArrayOf("bigint", sequences));
            s.setArray(4, c.createArrayOf("text", bodies));
        });
    }

    /** The workloads' states, locked for this transaction. */
    Map<String, MeterState> lockStates(Collection<String> uids) {
        var states = new HashMap<String, MeterState>();
        query("SELECT uid, kind, name, project, applied_sequence, phase, since, vcpus, memory_mib, devices, flag, disk_gib "
                + "FROM usage_workload WHERE uid = ANY(?) ORDER BY uid FOR UPDATE", s -> s.setArray(1, texts(s.getConnection(), uids)), r -> {
            Timestamp since = r.getTimestamp(7);
            states.put(r.getString(1), new MeterState(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5),
                    Phase.valueOf(r.getString(6)), since == null ? null : since.toInstant(), r.getDouble(8), r.getLong(9),
                    devices(r.getString(10)), r.getString(11), r.getLong(12)));
        });
        return states;
    }

    /**
     * Events of these workloads that wait for an earlier sequence, locked: a workload with nothing applied yet has
     * no state row to lock, and two meters (a batch and another replica's gap sweep) must not both apply them.
     */
    Map<String, List<UsageEvent>> pending(Collection<String> uids) {
        var pending = new HashMap<String, List<UsageEvent>>();
        query("SELECT uid, event FROM usage_pending WHERE uid = ANY(?) ORDER BY id FOR UPDATE", s -> s.setArray(1, texts(s.getConnection(), uids)),
                r -> pending.computeIfAbsent(r.getString(1), k -> new ArrayList<>()).add(read(r.getString(2), UsageEvent.class)));
        return pending;
    }

    /** Workloads with an event that has waited since before {@code before}. */
    List<String> stalled(Instant before, int limit) {
        var uids = new ArrayList<String>();
        query("SELECT DISTINCT uid FROM usage_pending WHERE received_at < ? LIMIT ?", s -> {
            s.setTimestamp(1, Timestamp.from(before));
            s.setInt(2, limit);
        }, r -> uids.add(r.getString(1)));
        return uids;
    }

    /** Forgets events that were pending and have now applied or turned stale. */
    void settle(Collection<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        update("DELETE FROM usage_pending WHERE id = ANY(?)", (c, s) -> s.setArray(1, texts(c, ids)));
    }

    /**
     * Writes the workloads' new states: an update of those read (and locked) by {@link #lockStates}, an insert of
     * those that had none. An insert that finds a row means another meter applied events of that workload since this
     * transaction looked: the batch was folded on a state that is no longer true, so nothing of it may commit.
     *
     * @param known the uids that had a state when this transaction read them
     * @throws ConcurrentMeterException when a workload thought new has a state now
     */
    void saveStates(Collection<MeterState> states, Set<String> known) {
        var updates = new ArrayList<MeterState>();
        var inserts = new ArrayList<MeterState>();
        for (var s : states) {
            (known.contains(s.uid()) ? updates : inserts).add(s);
        }
        if (!inserts.isEmpty()) {
            // In uid order, as lockStates locks: two meters inserting the same new workloads cannot deadlock.
            inserts.sort(java.util.Comparator.comparing(MeterState::uid));
            var added = new HashSet<String>();
            query("INSERT INTO usage_workload (uid, kind, name, project, applied_sequence, phase, since, vcpus, memory_mib, devices, "
                    + "flag, disk_gib) SELECT * FROM " + STATE_COLUMNS + " ON CONFLICT (uid) DO NOTHING RETURNING uid",
                    s -> bindStates(s.getConnection(), s, inserts), r -> added.add(r.getString(1)));
            if (added.size() != inserts.size()) {
                var raced = inserts.stream().map(MeterState::uid).filter(u -> !added.contains(u)).toList();
                throw new ConcurrentMeterException("another meter applied events of " + raced.size() + " workload(s) first, e.g. "
                        + raced.getFirst());
            }
        }
        if (!updates.isEmpty()) {
            update("UPDATE usage_workload w SET applied_sequence = t.s, phase = t.p, since = t.si, vcpus = t.v, memory_mib = t.m, "
                    + "devices = t.d, flag = t.f, disk_gib = t.g FROM " + STATE_COLUMNS
                    + " AS t(u, k, n, pr, s, p, si, v, m, d, f, g) WHERE w.uid = t.u", (c, s) -> bindStates(c, s, updates));
        }
    }

    private static final String STATE_COLUMNS = "unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], "
            + "?::timestamptz[], ?::float8[], ?::bigint[], ?::jsonb[], ?::text[], ?::bigint[])";

    private void bindStates(Connection c, PreparedStatement statement, List<MeterState> rows) throws SQLException {
        int n = rows.size();
        Object[][] cols = new Object[12][n];
        for (int i = 0; i < n; i++) {
            var s = rows.get(i);
            Object[] row = {s.uid(), s.kind(), s.name(), s.project(), s.appliedSequence(), s.phase().name(),
                    s.since() == null ? null : Timestamp.from(s.since()), s.vcpus(), s.memoryMiB(), devicesJson(s.devices()), s.flag(),
                    s.diskGiB()};
            for (int col = 0; col < row.length; col++) {
                cols[col][i] = row[col];
            }
        }
        String[] types = {"text", "text", "text", "text", "bigint", "text", "timestamptz", "float8", "bigint", "text", "text", "bigint"};
        for (int col = 0; col < types.length; col++) {
            statement.setArray(col + 1, c.createArrayOf(types[col], cols[col]));
        }
    }

    /**
     * Adds closed intervals with one {@code COPY}: cheaper on both sides than twelve bound arrays unnested (the
     * intervals are most of what a batch writes; bench/usage).
     */
    void insertIntervals(List<Interval> intervals) {
        if (intervals.isEmpty()) {
            return;
        }
        var rows = new CopyRows(intervals.size() * 160);
        for (var v : intervals) {
            rows.text(v.uid()).text(v.kind()).text(v.name()).text(v.project()).text(v.phase().name()).time(v.start())
                    .time(v.end()).number(v.vcpus()).number(v.memoryMiB()).text(devicesJson(v.devices())).text(v.flag())
                    .number(v.diskGiB()).end();
        }
        copy("COPY usage_interval (uid, kind, name, project, phase, start_at, end_at, vcpus, memory_mib, devices, flag, disk_gib) "
                + "FROM STDIN", rows);
    }

    /** The next offset to read per partition of {@code topic}, as committed with the usage. */
    Map<Integer, Long> offsets(String group, String topic) {
        var offsets = new HashMap<Integer, Long>();
        query("SELECT partition, next_offset FROM usage_offset WHERE consumer_group = ? AND topic = ?", s -> {
            s.setString(1, group);
            s.setString(2, topic);
        }, r -> offsets.put(r.getInt(1), r.getLong(2)));
        return offsets;
    }

    /** Moves {@code group}'s position forward, never back (a meter that lost a race must not undo the winner's). */
    void saveOffsets(String group, String topic, Map<Integer, Long> next) {
        if (next.isEmpty()) {
            return;
        }
        update("INSERT INTO usage_offset (consumer_group, topic, partition, next_offset) "
                + "SELECT ?, ?, * FROM unnest(?::int[], ?::bigint[]) "
                + "ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = GREATEST(usage_offset.next_offset, excluded.next_offset)", (c, s) -> {
            s.setString(1, group);
            s.setString(2, topic);
            s.setArray(3, c.createArrayOf("int", next.keySet().toArray()));
            s.setArray(4, c.createArrayOf("bigint", next.values().toArray()));
        });
    }

    /**
     * Closed intervals that overlap {@code [from, to)}, and the open ones that started before {@code to}, handed over
     * one at a time as PostgreSQL sends them, {@link #FETCH} rows a round trip when called in a transaction (a cursor;
     * outside one the driver reads the whole result first).
     */
    void overlapping(String project, Instant from, Instant to, Instant now, Consumer<Interval> each) {
        String where = project == null ? "" : " AND project = ?";
        query("SELECT uid, kind, name, project, phase, start_at, end_at, vcpus, memory_mib, devices, flag, disk_gib FROM usage_interval "
                + "WHERE end_at > ? AND start_at < ?" + where
                + " UNION ALL SELECT uid, kind, name, project, phase, since, NULL, vcpus, memory_mib, devices, flag, disk_gib FROM usage_workload "
                + "WHERE phase IN ('Allocated', 'Running') AND since < ?" + where, s -> {
            int i = 0;
            s.setTimestamp(++i, Timestamp.from(from));
            s.setTimestamp(++i, Timestamp.from(to));
            if (project != null) {
                s.setString(++i, project);
            }
            s.setTimestamp(++i, Timestamp.from(to));
            if (project != null) {
                s.setString(++i, project);
            }
            s.setFetchSize(FETCH);
        }, r -> {
            Timestamp end = r.getTimestamp(7);
            each.accept(new Interval(r.getString(1), r.getString(2), r.getString(3), r.getString(4), Phase.valueOf(r.getString(5)),
                    r.getTimestamp(6).toInstant(), end == null ? now : end.toInstant(), r.getDouble(8), r.getLong(9),
                    devices(r.getString(10)), r.getString(11), r.getLong(12)));
        });
    }

    /** Rows of a usage query fetched per round trip: a month's intervals are never all in memory at once. */
    static final int FETCH = 2000;

    private interface Binder {
        void bind(PreparedStatement s) throws SQLException;
    }

    private interface ArrayBinder {
        void bind(Connection c, PreparedStatement s) throws SQLException;
    }

    private interface RowReader {
        void read(ResultSet r) throws SQLException;
    }

    private void query(String sql, Binder binder, RowReader reader) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            binder.bind(s);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    reader.read(r);
                }
            }
        } catch (SQLException e) {
            throw new StoreException("reading usage", e);
        }
    }

    private void update(String sql, ArrayBinder binder) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            binder.bind(c, s);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("writing usage", e);
        }
    }

    private void copy(String sql, CopyRows rows) {
        try (Connection c = dataSource.getConnection()) {
            byte[] bytes = rows.bytes();
            CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
            try {
                in.writeToCopy(bytes, 0, bytes.length);
                in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
        } catch (SQLException e) {
            throw new StoreException("writing usage", e);
        }
    }

    private static Array texts(Connection c, Collection<String> values) throws SQLException {
        return c.createArrayOf("text", values.toArray());
    }

    private Map<String, Integer> devices(String text) {
        return read(text, DEVICES);
    }

    private <T> T read(String text, Class<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("decoding usage state", e);
        }
    }

    private <T> T read(String text, TypeReference<T> type) {
        try {
            return json.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new StoreException("decoding usage state", e);
        }
    }

    /** A device count as jsonb text; most workloads have none. */
    private String devicesJson(Map<String, Integer> devices) {
        return devices.isEmpty() ? "{}" : write(devices);
    }

    private String write(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new StoreException("encoding usage state", e);
        }
    }
}
