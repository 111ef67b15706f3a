package dev.corral.controlplane.audit;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.sql.DataSource;

import dev.corral.api.AuditRecord;
import dev.corral.api.ResourceList;
import dev.corral.api.ServerVersion;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.store.GroupCommit;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The audit table: a row per mutating request, the record of truth (the Kafka topic is a copy for SIEMs). Read
 * oldest first, in pages keyed on the row's id, so a page stays right while requests keep being recorded.
 */
@ApplicationScoped
public class AuditLog implements GroupCommit.Batch<AuditEntry, AuditRecord> {

    private static final String COLUMNS = "id, at, request_id, method, path, object_kind, object_name, object_project, status, "
            + "token_id, subject, subject_kind, role, grant_project, grant_node";

    private final DataSource dataSource;

    AuditLog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Stores entries in one statement, in order (their ids ascend as given); the answer is each record as read back
     * (its id and time are the database's), in the same order. As a {@link GroupCommit.Batch}, the entries of one
     * shared commit are stored together.
     */
    @Override
    public List<AuditRecord> runAll(List<AuditEntry> entries) {
        int n = entries.size();
        String[][] text = new String[12][n];
        var statuses = new Integer[n];
        for (int k = 0; k < n; k++) {
            var e = entries.get(k);
            var o = e.object();
            var i = e.identity();
            text[0][k] = e.requestId();
            text[1][k] = e.method();
            text[2][k] = e.path();
            text[3][k] = o == null ? null : o.kind();
            text[4][k] = o == null ? null : o.name();
            text[5][k] = o == null ? null : o.project();
            statuses[k] = e.status();
            text[6][k] = i == null ? null : i.tokenId();
            text[7][k] = i == null ? null : i.subject();
            text[8][k] = i == null ? null : i.subjectKind();
            text[9][k] = i == null ? null : i.role();
            text[10][k] = i == null ? null : i.project();
            text[11][k] = i == null ? null : i.node();
        }
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("INSERT INTO audit (request_id, method, path, object_kind, object_name, object_project, status, "
                        + "token_id, subject, subject_kind, role, grant_project, grant_node) SELECT request_id, method, path, object_kind, "
                        + "object_name, object_project, status, token_id, subject, subject_kind, role, grant_project, grant_node FROM "
                        + "unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[], "
                        + "?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS t(request_id, method, path, object_kind, object_name, "
                        + "object_project, status, token_id, subject, subject_kind, role, grant_project, grant_node, n) ORDER BY n "
                        + "RETURNING " + COLUMNS)) {
            int p = 1;
            for (int col = 0; col < 6; col++) {
                s.setArray(p++, c.createArrayOf("text", text[col]));
            }
            s.setArray(p++, c.createArrayOf("int4", statuses));
            for (int col = 6; col < 12; col++) {
                s.setArray(p++, c.createArrayOf("text", text[col]));
            }
            var out = new ArrayList<AuditRecord>(n);
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(record(rs));
                }
            }
            // Ids are drawn row by row in the order inserted: sorted by id, the records are in the entries' order.
            out.sort(java.util.Comparator.comparingLong(AuditRecord::id));
            return out;
        } catch (SQLException x) {
            throw new StoreException("recording " + n + " audit entries", x);
        }
    }

    /** The topic acknowledged these records. */
    void published(List<Long> ids) {
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("UPDATE audit SET published_at = now() WHERE id = ANY (?) AND published_at IS NULL")) {
            s.setArray(1, c.createArrayOf("bigint", ids.toArray()));
            s.executeUpdate();
        } catch (SQLException x) {
            throw new StoreException("marking " + ids.size() + " audit records published", x);
        }
    }

    /** Records written before {@code before} that the topic has not acknowledged, oldest first, at most {@code limit}. */
    List<AuditRecord> unpublished(Instant before, int limit) {
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("SELECT " + COLUMNS + " FROM audit WHERE published_at IS NULL AND at < ? ORDER BY id LIMIT ?")) {
            s.setTimestamp(1, Timestamp.from(before));
            s.setInt(2, limit);
            var out = new ArrayList<AuditRecord>();
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(record(rs));
                }
            }
            return out;
        } catch (SQLException x) {
            throw new StoreException("reading unpublished audit records", x);
        }
    }

    /** Records from {@code since} (inclusive) until {@code until} (exclusive), oldest first, {@code limit} a page. */
    public ResourceList<AuditRecord> list(Instant since, Instant until, int limit, String continueToken) {
        long after = continueToken == null || continueToken.isEmpty() ? 0 : decode(continueToken);
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("SELECT " + COLUMNS + " FROM audit WHERE id > ? AND at >= coalesce(?, '-infinity'::timestamptz) "
                        + "AND at < coalesce(?, 'infinity'::timestamptz) ORDER BY id LIMIT ?")) {
            s.setLong(1, after);
            s.setTimestamp(2, since == null ? null : Timestamp.from(since));
            s.setTimestamp(3, until == null ? null : Timestamp.from(until));
            s.setInt(4, limit + 1);
            var items = new ArrayList<AuditRecord>();
            try (var rs = s.executeQuery()) {
                while (rs.next()) {
                    items.add(record(rs));
                }
            }
            String next = null;
            if (items.size() > limit) {
                items.removeLast();
                next = encode(items.getLast().id());
            }
            return new ResourceList<>(ServerVersion.API_VERSION, "AuditRecordList", new ResourceList.Meta(null, next), List.copyOf(items));
        } catch (SQLException x) {
            throw new StoreException("reading the audit log", x);
        }
    }

    private static String encode(long id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("audit\n" + id).getBytes(StandardCharsets.UTF_8));
    }

    private static long decode(String token) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", -1);
            if (parts.length == 2 && parts[0].equals("audit") && parts[1].matches("\\d{1,18}")) {
                return Long.parseLong(parts[1]);
            }
        } catch (IllegalArgumentException ignored) {
            // reported below
        }
        throw InvalidException.field("continue", "is not a continue token this server issued");
    }

    private static AuditRecord record(ResultSet rs) throws SQLException {
        var object = rs.getString("object_kind") == null ? null
                : new AuditRecord.Target(rs.getString("object_kind"), rs.getString("object_name"), rs.getString("object_project"));
        var identity = rs.getString("token_id") == null ? null
                : new AuditRecord.Identity(rs.getString("token_id"), rs.getString("subject"), rs.getString("subject_kind"), rs.getString("role"),
                        rs.getString("grant_project"), rs.getString("grant_node"));
        return new AuditRecord(ServerVersion.API_VERSION, AuditRecord.KIND, rs.getLong("id"), rs.getTimestamp("at").toInstant(),
                rs.getString("request_id"), rs.getString("method"), rs.getString("path"), object, rs.getInt("status"), identity);
    }
}
