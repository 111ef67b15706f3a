package dev.corral.controlplane.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.controlplane.problem.GoneException;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;

/** Reads the change log that watches stream from, and trims it. */
@ApplicationScoped
public class WatchLog {

    /** How long changes stay resumable. */
    static final String RETENTION = "1 hour";

    private final DataSource dataSource;
    private final ObjectMapper json;

    WatchLog(DataSource dataSource, ObjectMapper json) {
        this.dataSource = dataSource;
        this.json = json;
    }

    public record Change(long resourceVersion, String type, JsonNode object) {
    }

    /** What a watch follows: one kind (and project, when not null), or every workload of one node. */
    public record Filter(List<String> kinds, String project, String node) {
    }

    /** Changes after {@code afterResourceVersion}, oldest first; at most {@code max}. */
    public List<Change> after(long afterResourceVersion, Filter filter, int max) {
        var sql = new StringBuilder("SELECT resource_version, type, object FROM watch_log WHERE resource_version > ? AND kind = ANY (?)");
        if (filter.project() != null) {
            sql.append(" AND project = ?");
        }
        if (filter.node() != null) {
            sql.append(" AND node = ?");
        }
        sql.append(" ORDER BY resource_version LIMIT ?");
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql.toString())) {
            int i = 1;
            s.setLong(i++, afterResourceVersion);
            s.setArray(i++, c.createArrayOf("text", filter.kinds().toArray()));
            if (filter.project() != null) {
                s.setString(i++, filter.project());
            }
            if (filter.node() != null) {
                s.setString(i++, filter.node());
            }
            s.setInt(i, max);
            var changes = new ArrayList<Change>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    changes.add(new Change(rs.getLong(1), rs.getString(2), json.readTree(rs.getString(3))));
                }
            }
            return changes;
        } catch (SQLException | JsonProcessingException e) {
            throw new StoreException("reading the watch log", e);
        }
    }

    /**
     * Fails with 410 when changes after {@code resourceVersion} were already trimmed. Versions are gapless (the
     * counter is bumped once per logged write, in the same transaction), so the oldest kept row tells.
     */
    public void requireResumable(long resourceVersion) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT min(resource_version) FROM watch_log");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            long oldest = rs.getLong(1);
            if (!rs.wasNull() && resourceVersion + 1 < oldest) {
                throw new GoneException("resourceVersion " + resourceVersion + " is older than the retained change log (oldest "
                        + oldest + "); list again and watch from the list's resourceVersion.");
            }
        } catch (SQLException e) {
            throw new StoreException("reading the watch log", e);
        }
    }

    @Scheduled(every = "5m", delayed = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void trim() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM watch_log WHERE created < now() - interval '" + RETENTION + "'")) {
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("trimming the watch log", e);
        }
    }
}
