package dev.corral.controlplane.event;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import dev.corral.api.Event;
import dev.corral.api.ObjectMeta;
import dev.corral.api.ObjectReference;
import dev.corral.api.ResourceList;
import dev.corral.api.ServerVersion;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.store.StoreException;
import dev.corral.controlplane.store.StoredObject;
import jakarta.enterprise.context.ApplicationScoped;

/** The history of what happened to objects. Joins the caller's transaction. */
@ApplicationScoped
public class EventService {

    public static final String SOURCE = "control-plane";

    private final DataSource dataSource;

    EventService(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void normal(StoredObject about, String reason, String message) {
        record(about, "Normal", reason, message);
    }

    public void warning(StoredObject about, String reason, String message) {
        record(about, "Warning", reason, message);
    }

    /** Records an event; the same reason and message as the object's latest event only bump its count. */
    public void record(StoredObject about, String type, String reason, String message) {
        var now = Timestamp.from(Instant.now());
        String project = about.project();
        // One round trip: fold into the latest event when it says the same, else insert.
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("WITH folded AS (UPDATE event SET count = count + 1, last_timestamp = ? "
                     + "WHERE id = (SELECT max(id) FROM event WHERE project = ? AND involved_kind = ? AND involved_name = ? "
                     + "AND involved_uid = ?) AND type = ? AND reason = ? AND message = ? RETURNING id) "
                     + "INSERT INTO event (uid, project, involved_kind, involved_name, involved_uid, type, reason, message, "
                     + "first_timestamp, last_timestamp, source) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
                     + "WHERE NOT EXISTS (SELECT 1 FROM folded)")) {
            s.setTimestamp(1, now);
            s.setString(2, project);
            s.setString(3, about.kind());
            s.setString(4, about.name());
            s.setObject(5, about.uid());
            s.setString(6, type);
            s.setString(7, reason);
            s.setString(8, message);
            s.setObject(9, UUID.randomUUID());
            s.setString(10, project);
            s.setString(11, about.kind());
            s.setString(12, about.name());
            s.setObject(13, about.uid());
            s.setString(14, type);
            s.setString(15, reason);
            s.setString(16, message);
            s.setTimestamp(17, now);
            s.setTimestamp(18, now);
            s.setString(19, SOURCE);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("recording event " + reason, e);
        }
    }

    /** An event about {@code about}, to record with others ({@link #recordAll}). */
    public record About(StoredObject about, Note note) {
    }

    /**
     * Records events as {@link #record} would one by one, in order, in three statements however many there are: the
     * latest event of each object is read once, an object's first event that says the same as its latest only bumps
     * that one's count, and the rest are inserted together, repeats in a row folded into one with their count.
     */
    public void recordAll(List<About> events) {
        if (events.isEmpty()) {
            return;
        }
        // Folded in memory first: an object's consecutive events that say the same become one with a count.
        var objects = new LinkedHashMap<UUID, StoredObject>();
        var folded = new ArrayList<Folded>();
        var last = new HashMap<UUID, Folded>();
        for (var e : events) {
            objects.putIfAbsent(e.about().uid(), e.about());
            var previous = last.get(e.about().uid());
            if (previous != null && previous.note.equals(e.note())) {
                previous.count++;
            } else {
                var row = new Folded(e.about(), e.note());
                folded.add(row);
                last.put(e.about().uid(), row);
            }
        }
        var now = Timestamp.from(Instant.now());
        try (Connection c = dataSource.getConnection()) {
            var latest = latest(c, objects.values());
            // An object's first note that says what its latest event says folds into that event.
            var bumpIds = new ArrayList<Long>();
            var bumpCounts = new ArrayList<Integer>();
            var seen = new HashSet<UUID>();
            var inserts = new ArrayList<Folded>();
            for (var row : folded) {
                boolean first = seen.add(row.about.uid());
                var found = latest.get(row.about.uid());
                if (first && found != null && found.note().equals(row.note)) {
                    bumpIds.add(found.id());
                    bumpCounts.add(row.count);
                } else {
                    inserts.add(row);
                }
            }
            if (!bumpIds.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement("UPDATE event e SET count = e.count + b.n, last_timestamp = ? "
                        + "FROM unnest(?::bigint[], ?::int[]) AS b(id, n) WHERE e.id = b.id")) {
                    s.setTimestamp(1, now);
                    s.setArray(2, c.createArrayOf("bigint", bumpIds.toArray()));
                    s.setArray(3, c.createArrayOf("int", bumpCounts.toArray()));
                    s.executeUpdate();
                }
            }
            insert(c, inserts, now);
        } catch (SQLException e) {
            throw new StoreException("recording " + events.size() + " events", e);
        }
    }

    /** Inserts the rows, each with its count, in one statement, ordered by position: ids follow the order given. */
    private static void insert(Connection c, List<Folded> inserts, Timestamp now) throws SQLException {
        if (inserts.isEmpty()) {
            return;
        }
        int n = inserts.size();
        var uids = new UUID[n];
        var projects = new String[n];
        var kinds = new String[n];
        var names = new String[n];
        var involved = new UUID[n];
        var types = new String[n];
        var reasons = new String[n];
        var messages = new String[n];
        var counts = new Integer[n];
        for (int i = 0; i < n; i++) {
            var about = inserts.get(i).about;
            var note = inserts.get(i).note;
            uids[i] = UUID.randomUUID();
            projects[i] = about.project();
            kinds[i] = about.kind();
            names[i] = about.name();
            involved[i] = about.uid();
            types[i] = note.type();
            reasons[i] = note.reason();
            messages[i] = note.message();
            counts[i] = inserts.get(i).count;
        }
        // Ordered by position, so the ids (the order events are listed in) follow the order they happened in.
        try (PreparedStatement s = c.prepareStatement("INSERT INTO event (uid, project, involved_kind, involved_name, "
                + "involved_uid, type, reason, message, count, first_timestamp, last_timestamp, source) "
                + "SELECT uid, project, kind, name, involved, type, reason, message, n, ?, ?, ? FROM unnest(?::uuid[], "
                + "?::text[], ?::text[], ?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[]) WITH ORDINALITY "
                + "AS t(uid, project, kind, name, involved, type, reason, message, n, position) ORDER BY position")) {
            s.setTimestamp(1, now);
            s.setTimestamp(2, now);
            s.setString(3, SOURCE);
            s.setArray(4, c.createArrayOf("uuid", uids));
            s.setArray(5, c.createArrayOf("text", projects));
            s.setArray(6, c.createArrayOf("text", kinds));
            s.setArray(7, c.createArrayOf("text", names));
            s.setArray(8, c.createArrayOf("uuid", involved));
            s.setArray(9, c.createArrayOf("text", types));
            s.setArray(10, c.createArrayOf("text", reasons));
            s.setArray(11, c.createArrayOf("text", messages));
            s.setArray(12, c.createArrayOf("int", counts));
            s.executeUpdate();
        }
    }

    /** An object's events in a row that say the same: one row, with their count. */
    private static final class Folded {
        final StoredObject about;
        final Note note;
        int count = 1;

        Folded(StoredObject about, Note note) {
            this.about = about;
            this.note = note;
        }
    }

    private record Latest(long id, Note note) {
    }

    /** The latest event of each object that has one, by the object's uid, in one statement. */
    private static Map<UUID, Latest> latest(Connection c, Collection<StoredObject> objects) throws SQLException {
        int n = objects.size();
        var projects = new String[n];
        var kinds = new String[n];
        var names = new String[n];
        var uids = new UUID[n];
        int i = 0;
        for (var o : objects) {
            projects[i] = o.project();
            kinds[i] = o.kind();
            names[i] = o.name();
            uids[i++] = o.uid();
        }
        try (PreparedStatement s = c.prepareStatement("SELECT k.uid, e.id, e.type, e.reason, e.message "
                + "FROM unnest(?::text[], ?::text[], ?::text[], ?::uuid[]) AS k(project, kind, name, uid) "
                + "CROSS JOIN LATERAL (SELECT id, type, reason, message FROM event WHERE project = k.project "
                + "AND involved_kind = k.kind AND involved_name = k.name AND involved_uid = k.uid ORDER BY id DESC LIMIT 1) e")) {
            s.setArray(1, c.createArrayOf("text", projects));
            s.setArray(2, c.createArrayOf("text", kinds));
            s.setArray(3, c.createArrayOf("text", names));
            s.setArray(4, c.createArrayOf("uuid", uids));
            var latest = new HashMap<UUID, Latest>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    latest.put(rs.getObject(1, UUID.class),
                            new Latest(rs.getLong(2), new Note(rs.getString(3), rs.getString(4), rs.getString(5))));
                }
            }
            return latest;
        }
    }

    /** One event to record: its type ({@code Normal}, {@code Warning}), reason and message. */
    public record Note(String type, String reason, String message) {

        public static Note normal(String reason, String message) {
            return new Note("Normal", reason, message);
        }
    }

    /**
     * Records the first events of objects just written in this transaction ({@code notes.get(i)} are those of {@code
     * about.get(i)}), in order, in one statement whatever their number: a new object (its uid is new) has no earlier
     * event to fold into, so they are plain inserts.
     */
    public void recordFirstAll(List<StoredObject> about, List<List<Note>> notes) {
        var rows = new ArrayList<Folded>();
        for (int o = 0; o < about.size(); o++) {
            for (var note : notes.get(o)) {
                rows.add(new Folded(about.get(o), note));
            }
        }
        try (Connection c = dataSource.getConnection()) {
            insert(c, rows, Timestamp.from(Instant.now()));
        } catch (SQLException e) {
            throw new StoreException("recording " + rows.size() + " events", e);
        }
    }

    /**
     * Events of a project, oldest first, optionally about one object.
     *
     * @param involvedObject {@code kind/name} (kind case-insensitive: {@code vm/web-1}, {@code VM/web-1}) or null
     */
    public ResourceList<Event> list(String project, String involvedObject, int limit, String continueToken) {
        var sql = new StringBuilder("SELECT id, uid, project, involved_kind, involved_name, involved_uid, type, reason, "
                + "message, count, first_timestamp, last_timestamp, source FROM event WHERE project = ?");
        var params = new ArrayList<Object>(List.of(project));
        if (involvedObject != null && !involvedObject.isBlank()) {
            String[] ref = involvedObject.split("/", 2);
            if (ref.length != 2 || ref[0].isBlank() || ref[1].isBlank()) {
                throw InvalidException.field("involvedObject", "must be KIND/NAME, e.g. vm/web-1");
            }
            String kind = canonicalKind(ref[0]);
            if (kind.equals("Node") || kind.equals("InstanceType")) {
                // Cluster-scoped objects keep their events outside any project.
                params.set(0, "");
            }
            sql.append(" AND lower(involved_kind) = lower(?) AND involved_name = ?");
            params.add(kind);
            params.add(ref[1]);
        }
        if (continueToken != null && !continueToken.isBlank()) {
            try {
                params.add(Long.parseLong(continueToken));
            } catch (NumberFormatException e) {
                throw InvalidException.field("continue", "is not a continue token this server issued");
            }
            sql.append(" AND id > ?");
        }
        sql.append(" ORDER BY id LIMIT ?");
        params.add(limit + 1);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < params.size(); i++) {
                s.setObject(i + 1, params.get(i));
            }
            var items = new ArrayList<Event>();
            long lastId = 0;
            String next = null;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    if (items.size() == limit) {
                        next = String.valueOf(lastId);
                        break;
                    }
                    lastId = rs.getLong(1);
                    items.add(read(rs));
                }
            }
            return new ResourceList<>(ServerVersion.API_VERSION, "EventList", new ResourceList.Meta(null, next), items);
        } catch (SQLException e) {
            throw new StoreException("listing events", e);
        }
    }

    /** Accepts the plural and lower-case spellings users type: vms, vm, containers, nodes... */
    private static String canonicalKind(String kind) {
        return switch (kind.toLowerCase()) {
            case "vm", "vms" -> "VM";
            case "container", "containers" -> "Container";
            case "node", "nodes" -> "Node";
            case "image", "images" -> "Image";
            case "instancetype", "instancetypes" -> "InstanceType";
            default -> kind;
        };
    }

    private static Event read(ResultSet rs) throws SQLException {
        String uid = rs.getString(2);
        var meta = new ObjectMeta(rs.getString(4).toLowerCase() + "-" + rs.getString(5) + "-" + rs.getLong(1), uid,
                rs.getString(3), Map.of(), rs.getTimestamp(11).toInstant(), null, null);
        var ref = new ObjectReference(rs.getString(4), rs.getString(5), rs.getString(3), rs.getString(6));
        return new Event(ServerVersion.API_VERSION, Event.KIND, meta, ref, rs.getString(7), rs.getString(8),
                rs.getString(9), rs.getInt(10), rs.getTimestamp(11).toInstant(), rs.getTimestamp(12).toInstant(), rs.getString(13));
    }
}
