package dev.corral.controlplane.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.api.ObjectMeta;
import dev.corral.api.ServerVersion;
import dev.corral.controlplane.problem.ConflictException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The generic object table. Callers hold a transaction ({@code @Transactional} services); every write takes the
 * next resourceVersion as its last step, which also appends the object to the watch log.
 */
@ApplicationScoped
public class ResourceStore {

    /** Project value of cluster-scoped kinds. */
    public static final String CLUSTER = "";

    private static final String COLUMNS =
            "kind, project, name, uid, labels, spec, status, generation, resource_version, creation_timestamp, node";
    private static final TypeReference<TreeMap<String, String>> LABELS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final ObjectMapper json;
    private final WatchNotifier notifier;
    private final GroupCommit groupCommit;

    ResourceStore(DataSource dataSource, ObjectMapper json, WatchNotifier notifier, GroupCommit groupCommit) {
        this.dataSource = dataSource;
        this.json = json;
        this.notifier = notifier;
        this.groupCommit = groupCommit;
    }

    /**
     * Runs {@code work} in a new transaction that may be shared with concurrent callers' work, committed once for
     * all of them ({@link GroupCommit}); returns once it committed. The work must be database work only.
     */
    public <T> T transaction(java.util.concurrent.Callable<T> work) {
        return groupCommit.call(work);
    }

    /** {@link #transaction} for a piece of a {@link GroupCommit.Batch}: written together with the others of its commit. */
    public <I, R> R transaction(GroupCommit.Batch<I, R> batch, I input) {
        return groupCommit.call(batch, input);
    }

    /**
     * Runs {@code work} inside a savepoint of the caller's transaction: when it returns null or throws, everything it
     * wrote is undone and the transaction goes on (the exception is rethrown).
     */
    public <T> T attempt(java.util.function.Supplier<T> work) {
        try (Connection c = dataSource.getConnection()) {
            var savepoint = c.setSavepoint();
            T result;
            try {
                result = work.get();
            } catch (RuntimeException e) {
                c.rollback(savepoint);
                throw e;
            }
            if (result == null) {
                c.rollback(savepoint);
            } else {
                c.releaseSavepoint(savepoint);
            }
            return result;
        } catch (SQLException e) {
            throw new StoreException("a savepoint failed", e);
        }
    }

    public Optional<StoredObject> find(String kind, String project, String name) {
        return findOne("SELECT " + COLUMNS + " FROM resource WHERE kind = ? AND project = ? AND name = ?", kind, project, name);
    }

    /** Reads and row-locks the object until the transaction ends. */
    public Optional<StoredObject> findForUpdate(String kind, String project, String name) {
        return findOne("SELECT " + COLUMNS + " FROM resource WHERE kind = ? AND project = ? AND name = ? FOR UPDATE", kind, project, name);
    }

    /**
     * Reads and row-locks, until the transaction ends, the objects with these uids that exist, in one statement.
     * The rows are locked in uid order, so two callers locking overlapping sets cannot deadlock each other.
     */
    public Map<UUID, StoredObject> findForUpdate(Collection<UUID> uids) {
        if (uids.isEmpty()) {
            return Map.of();
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM resource WHERE uid = ANY (?) ORDER BY uid FOR UPDATE")) {
            s.setArray(1, c.createArrayOf("uuid", uids.toArray()));
            var found = new HashMap<UUID, StoredObject>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    var object = read(rs);
                    found.put(object.uid(), object);
                }
            }
            return found;
        } catch (SQLException e) {
            throw new StoreException("reading " + uids.size() + " objects by uid", e);
        }
    }

    public Optional<StoredObject> findByUid(UUID uid) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM resource WHERE uid = ?")) {
            s.setObject(1, uid);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading object " + uid, e);
        }
    }

    /** Every object of the given kinds placed on a node. */
    public List<StoredObject> listOnNode(String node, List<String> kinds) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
                     + " FROM resource WHERE node = ? AND kind = ANY (?) ORDER BY kind, project, name")) {
            s.setString(1, node);
            s.setArray(2, c.createArrayOf("text", kinds.toArray()));
            var items = new ArrayList<StoredObject>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    items.add(read(rs));
                }
            }
            return items;
        } catch (SQLException e) {
            throw new StoreException("listing the workloads of node " + node, e);
        }
    }

    private Optional<StoredObject> findOne(String sql, String kind, String project, String name) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, kind);
            s.setString(2, project);
            s.setString(3, name);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading " + kind + " " + name, e);
        }
    }

    /** Inserts a new object with generation 1; a name already taken in that project is a 409. */
    public StoredObject insert(String kind, String project, String name, Map<String, String> labels, JsonNode spec,
            JsonNode status, String node) {
        return insert(kind, project, name, UUID.randomUUID(), labels, spec, status, node);
    }

    /**
     * Inserts a new object with generation 1 under a uid the caller chose (it may have reserved capacity for it
     * already); a name already taken in that project is a 409.
     */
    public StoredObject insert(String kind, String project, String name, UUID uid, Map<String, String> labels, JsonNode spec,
            JsonNode status, String node) {
        return insertAll(List.of(new StoredObject(kind, project, name, uid, labels, spec, status, 1, 0, null, node))).getFirst();
    }

    /**
     * Inserts new objects (generation 1, under the uids given, created now) and answers them stamped, in the same
     * order; when any of their names is already taken in its project (or two of them share one) it is a 409 for the
     * first such, and the caller's transaction must roll back, as every caller lets it.
     *
     * <p>One statement and one round trip however many there are: it bumps the resourceVersion counter by their
     * number, inserts each row stamped with its own version, in the order given, and appends each to the watch log
     * (docs/0002). A taken name inserts nothing for it and appends nothing, but the counter was bumped: hence the
     * rollback.
     */
    public List<StoredObject> insertAll(List<StoredObject> objects) {
        var created = Instant.now().truncatedTo(ChronoUnit.MICROS);
        int n = objects.size();
        var kinds = new String[n];
        var projects = new String[n];
        var names = new String[n];
        var uids = new UUID[n];
        var nodes = new String[n];
        var rendered = new String[n];
        var drafts = new ArrayList<StoredObject>(n);
        for (int i = 0; i < n; i++) {
            var o = objects.get(i);
            var labels = new TreeMap<>(o.labels() == null ? Map.<String, String>of() : o.labels());
            var draft = new StoredObject(o.kind(), o.project(), o.name(), o.uid(), labels, o.spec(), o.status(), 1, 0, created, o.node());
            drafts.add(draft);
            kinds[i] = o.kind();
            projects[i] = o.project();
            names[i] = o.name();
            uids[i] = o.uid();
            nodes[i] = o.node();
            rendered[i] = write(render(draft));
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(INSERT_ALL_AND_LOG)) {
            s.setArray(1, c.createArrayOf("text", rendered));
            s.setArray(2, c.createArrayOf("text", kinds));
            s.setArray(3, c.createArrayOf("text", projects));
            s.setArray(4, c.createArrayOf("text", names));
            s.setArray(5, c.createArrayOf("uuid", uids));
            s.setArray(6, c.createArrayOf("text", nodes));
            s.setLong(7, n);
            s.setLong(8, n);
            s.setTimestamp(9, Timestamp.from(created));
            var versions = new HashMap<UUID, Long>(n * 2);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    versions.put(rs.getObject(1, UUID.class), rs.getLong(2));
                }
            }
            var stamped = new ArrayList<StoredObject>(n);
            for (var d : drafts) {
                Long version = versions.get(d.uid());
                if (version == null) {
                    throw ConflictException.alreadyExists(d.kind(), d.name());
                }
                stamped.add(new StoredObject(d.kind(), d.project(), d.name(), d.uid(), d.labels(), d.spec(), d.status(), 1, version,
                        created, d.node()));
            }
            notifier.changed();
            return stamped;
        } catch (SQLException e) {
            var first = objects.getFirst();
            throw new StoreException("creating " + (n == 1 ? first.kind() + " " + first.name() : n + " objects"), e);
        }
    }

    /**
     * The counter first, as in {@link #log}: its row lock orders writers. Each row takes its new version directly (a
     * later statement of the same transaction could not see a row this one inserts to stamp it). Each object is sent
     * once, as the API renders it: the row's labels, spec and status are taken from it. The watch log's insert runs
     * whether or not the final select reads it (PostgreSQL runs every data-modifying WITH exactly once).
     */
    private static final String INSERT_ALL_AND_LOG = "WITH o AS (SELECT t.object::jsonb AS object, t.kind, t.project, t.name, "
            + "t.uid, t.node, t.n FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::uuid[], ?::text[]) WITH ORDINALITY "
            + "AS t(object, kind, project, name, uid, node, n)), "
            + "rv AS (UPDATE resource_version_counter SET value = value + ? WHERE id = 1 RETURNING value - ? AS base), "
            + "added AS (INSERT INTO resource (" + COLUMNS + ") SELECT kind, project, name, uid, object -> 'metadata' -> 'labels', "
            + "object -> 'spec', object -> 'status', 1, base + n, ?::timestamptz, node FROM o, rv ORDER BY n "
            + "ON CONFLICT (kind, project, name) DO NOTHING RETURNING uid, resource_version), "
            + "logged AS (INSERT INTO watch_log (resource_version, kind, project, name, node, type, object) "
            + "SELECT a.resource_version, o.kind, o.project, o.name, o.node, 'ADDED', "
            + "jsonb_set(o.object, '{metadata,resourceVersion}', to_jsonb(a.resource_version::text)) FROM added a JOIN o USING (uid) "
            + "ORDER BY a.resource_version) "
            + "SELECT uid, resource_version FROM added";

    /**
     * Replaces labels, spec, status and node of an object read in this transaction. The generation goes up when
     * the spec changed.
     */
    public StoredObject update(StoredObject old, Map<String, String> labels, JsonNode spec, JsonNode status, String node) {
        long generation = java.util.Objects.equals(old.spec(), spec) ? old.generation() : old.generation() + 1;
        var updated = new StoredObject(old.kind(), old.project(), old.name(), old.uid(), new TreeMap<>(labels), spec,
                status, generation, old.resourceVersion(), old.creationTimestamp(), node);
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE resource SET labels = ?::jsonb, spec = ?::jsonb, "
                     + "status = ?::jsonb, generation = ?, node = ? WHERE uid = ? AND resource_version = ?")) {
            s.setString(1, write(labels));
            s.setString(2, write(spec));
            s.setString(3, write(status));
            s.setLong(4, generation);
            s.setString(5, node);
            s.setObject(6, old.uid());
            s.setLong(7, old.resourceVersion());
            if (s.executeUpdate() == 0) {
                throw ConflictException.of(old.kind() + " '" + old.name() + "' changed or was deleted meanwhile; retry.");
            }
            // A workload that leaves a node is still announced to that node's watch, so its agent stops it.
            return stamp(c, updated, "MODIFIED", node != null ? node : old.node());
        } catch (SQLException e) {
            throw new StoreException("updating " + old.kind() + " " + old.name(), e);
        }
    }

    /** A new status for an object read in this transaction. */
    public record StatusChange(StoredObject old, JsonNode status) {
    }

    /**
     * Replaces the status of objects read (and locked) in this transaction, in one statement: the counter goes up
     * once by their number, each row takes its own resourceVersion in the order given, and each change is appended
     * to the watch log ({@code MODIFIED}, to the node the object is on). One round trip however many there are: the
     * counter's row lock, held from here to commit, waits on this statement's own work (a new row version with its
     * indexes and a watch-log row each, about 0.1 ms an object on 2 cores), not on a round trip per object.
     *
     * @throws ConflictException when any of them changed or was deleted since it was read (nothing is written then,
     *         once the caller's transaction rolls back)
     */
    public void updateStatuses(List<StatusChange> changes) {
        if (changes.isEmpty()) {
            return;
        }
        var uids = new UUID[changes.size()];
        var versions = new Long[changes.size()];
        var objects = new String[changes.size()];
        for (int i = 0; i < uids.length; i++) {
            var old = changes.get(i).old();
            uids[i] = old.uid();
            versions[i] = old.resourceVersion();
            objects[i] = write(render(new StoredObject(old.kind(), old.project(), old.name(), old.uid(), old.labels(), old.spec(),
                    changes.get(i).status(), old.generation(), old.resourceVersion(), old.creationTimestamp(), old.node())));
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(UPDATE_STATUSES_AND_LOG)) {
            s.setArray(1, c.createArrayOf("uuid", uids));
            s.setArray(2, c.createArrayOf("bigint", versions));
            s.setArray(3, c.createArrayOf("text", objects));
            s.setLong(4, uids.length);
            s.setLong(5, uids.length);
            int written = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    written++;
                }
            }
            if (written != uids.length) {
                throw ConflictException.of((uids.length - written) + " of " + uids.length
                        + " objects changed or were deleted meanwhile; retry.");
            }
            notifier.changed();
        } catch (SQLException e) {
            throw new StoreException("updating the status of " + uids.length + " objects", e);
        }
    }

    /** {@link #updateStatuses}: the objects as the API renders them, numbered; the counter once; rows; watch log. */
    private static final String UPDATE_STATUSES_AND_LOG = "WITH o AS (SELECT uid, old_version, object::jsonb AS object, n "
            + "FROM unnest(?::uuid[], ?::bigint[], ?::text[]) WITH ORDINALITY AS t(uid, old_version, object, n)), "
            + "rv AS (UPDATE resource_version_counter SET value = value + ? WHERE id = 1 RETURNING value - ? AS base), "
            + "stamped AS (UPDATE resource r SET status = o.object -> 'status', resource_version = rv.base + o.n FROM o, rv "
            + "WHERE r.uid = o.uid AND r.resource_version = o.old_version "
            + "RETURNING r.kind, r.project, r.name, r.node, r.resource_version, o.object) "
            + "INSERT INTO watch_log (resource_version, kind, project, name, node, type, object) "
            + "SELECT resource_version, kind, project, name, node, 'MODIFIED', "
            + "jsonb_set(object, '{metadata,resourceVersion}', to_jsonb(resource_version::text)) FROM stamped "
            + "RETURNING resource_version";

    public void delete(StoredObject old) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM resource WHERE uid = ?")) {
            s.setObject(1, old.uid());
            if (s.executeUpdate() == 0) {
                throw ConflictException.of(old.kind() + " '" + old.name() + "' was deleted meanwhile.");
            }
            log(c, old, "DELETED", old.node(), false);
        } catch (SQLException e) {
            throw new StoreException("deleting " + old.kind() + " " + old.name(), e);
        }
    }

    /** Takes the next resourceVersion for a written row and logs the change for watchers. */
    private StoredObject stamp(Connection c, StoredObject object, String type, String watchNode) throws SQLException {
        long rv = log(c, object, type, watchNode, true);
        return new StoredObject(object.kind(), object.project(), object.name(), object.uid(), object.labels(),
                object.spec(), object.status(), object.generation(), rv, object.creationTimestamp(), object.node());
    }

    /**
     * Bumps the one counter row, stamps the object's row with the new version (unless it was deleted) and appends
     * the change to the watch log, in one statement. The counter's row lock is held to commit, so writers commit in
     * resourceVersion order and a watcher that has seen version N never later finds a committed change below N.
     * Doing it all in one round trip, as the last write of the transaction, keeps that serialized stretch short.
     */
    private long log(Connection c, StoredObject object, String type, String node, boolean stampRow) throws SQLException {
        String sql = "WITH rv AS (UPDATE resource_version_counter SET value = value + 1 WHERE id = 1 RETURNING value)"
                + (stampRow ? ", stamped AS (UPDATE resource SET resource_version = (SELECT value FROM rv) WHERE uid = ?)" : "")
                + " INSERT INTO watch_log (resource_version, kind, project, name, node, type, object)"
                + " SELECT value, ?, ?, ?, ?, ?, jsonb_set(?::jsonb, '{metadata,resourceVersion}', to_jsonb(value::text)) FROM rv"
                + " RETURNING resource_version";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            int i = 1;
            if (stampRow) {
                s.setObject(i++, object.uid());
            }
            s.setString(i++, object.kind());
            s.setString(i++, object.project());
            s.setString(i++, object.name());
            s.setString(i++, node);
            s.setString(i++, type);
            s.setString(i, write(render(object)));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                notifier.changed();
                return rs.getLong(1);
            }
        }
    }

    /** The newest resourceVersion: a list taken now is consistent with a watch started from it. */
    public long currentResourceVersion() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT value FROM resource_version_counter WHERE id = 1");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new StoreException("reading the resourceVersion", e);
        }
    }

    /**
     * One page of objects of a kind, ordered by (project, name).
     *
     * @param project null for every project
     * @param extraWhere an additional SQL condition on the row (no parameters), or null
     */
    public Page list(String kind, String project, LabelSelector selector, int limit, String continueToken, String extraWhere) {
        var sql = new StringBuilder("SELECT " + COLUMNS + " FROM resource WHERE kind = ?");
        var params = new ArrayList<Object>();
        params.add(kind);
        if (project != null) {
            sql.append(" AND project = ?");
            params.add(project);
        }
        for (var r : selector.requirements()) {
            switch (r.op()) {
                case EQUALS, IN -> {
                    sql.append(" AND (labels ->> ?) = ANY (?)");
                    params.add(r.key());
                    params.add(r.values().toArray(String[]::new));
                }
                case NOT_EQUALS, NOT_IN -> {
                    sql.append(" AND ((labels ->> ?) IS NULL OR NOT ((labels ->> ?) = ANY (?)))");
                    params.add(r.key());
                    params.add(r.key());
                    params.add(r.values().toArray(String[]::new));
                }
                case EXISTS -> {
                    sql.append(" AND (labels ->> ?) IS NOT NULL");
                    params.add(r.key());
                }
                case NOT_EXISTS -> {
                    sql.append(" AND (labels ->> ?) IS NULL");
                    params.add(r.key());
                }
            }
        }
        if (extraWhere != null) {
            sql.append(" AND (").append(extraWhere).append(')');
        }
        if (continueToken != null && !continueToken.isBlank()) {
            var token = ContinueToken.decode(continueToken);
            sql.append(" AND (project, name) > (?, ?)");
            params.add(token.project());
            params.add(token.name());
        }
        sql.append(" ORDER BY project, name LIMIT ?");
        params.add(limit + 1);

        long resourceVersion = currentResourceVersion();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
                Object p = params.get(i);
                if (p instanceof String[] array) {
                    s.setArray(i + 1, c.createArrayOf("text", array));
                } else {
                    s.setObject(i + 1, p);
                }
            }
            var items = new ArrayList<StoredObject>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    items.add(read(rs));
                }
            }
            String next = null;
            if (items.size() > limit) {
                items.removeLast();
                var last = items.getLast();
                next = new ContinueToken(last.project(), last.name()).encode();
            }
            return new Page(items, resourceVersion, next);
        } catch (SQLException e) {
            throw new StoreException("listing " + kind, e);
        }
    }

    public record Page(List<StoredObject> items, long resourceVersion, String continueToken) {
    }

    /** An object's metadata as the API shows it ({@link #render}'s, for views built from records without the tree). */
    public static ObjectMeta metadata(StoredObject o) {
        return new ObjectMeta(o.name(), o.uid().toString(), o.project().equals(CLUSTER) ? null : o.project(), o.labels(),
                o.creationTimestamp(), o.generation(), String.valueOf(o.resourceVersion()));
    }

    /** Renders an object the way the API shows it: apiVersion, kind, metadata ({@link #metadata}), spec, status. */
    public ObjectNode render(StoredObject o) {
        ObjectNode node = json.createObjectNode();
        node.put("apiVersion", ServerVersion.API_VERSION);
        node.put("kind", o.kind());
        var m = metadata(o);
        ObjectNode meta = node.putObject("metadata");
        meta.put("name", m.name());
        meta.put("uid", m.uid());
        if (m.project() != null) {
            meta.put("project", m.project());
        }
        meta.set("labels", json.valueToTree(m.labels()));
        meta.put("creationTimestamp", m.creationTimestamp().toString());
        meta.put("generation", m.generation());
        meta.put("resourceVersion", m.resourceVersion());
        if (o.spec() != null && !o.spec().isNull()) {
            node.set("spec", o.spec());
        }
        if (o.status() != null && !o.status().isNull()) {
            node.set("status", o.status());
        }
        return node;
    }

    private StoredObject read(ResultSet rs) throws SQLException {
        try {
            return new StoredObject(rs.getString(1), rs.getString(2), rs.getString(3), rs.getObject(4, UUID.class),
                    json.readValue(rs.getString(5), LABELS), tree(rs.getString(6)), tree(rs.getString(7)), rs.getLong(8),
                    rs.getLong(9), rs.getTimestamp(10).toInstant(), rs.getString(11));
        } catch (JsonProcessingException e) {
            throw new StoreException("decoding a stored object", e);
        }
    }

    private JsonNode tree(String text) throws JsonProcessingException {
        return text == null ? null : json.readTree(text);
    }

    private String write(Object value) {
        if (value == null) {
            return null;
        }
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new StoreException("encoding an object", e);
        }
    }
}
