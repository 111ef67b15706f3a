package dev.corral.controlplane.tenancy;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Problem;
import dev.corral.api.Project;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.kind.KindService;
import dev.corral.controlplane.problem.ConflictException;
import dev.corral.controlplane.store.ChangeNotifications;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoreException;
import dev.corral.controlplane.store.StoredObject;
import jakarta.inject.Singleton;

/**
 * Projects as an API kind. A project is an object of the store (kind Project, cluster-scoped, listed and watched like
 * any other) and a row of the {@code project} table, written in the same transaction: the table is what
 * {@link dev.corral.controlplane.project.ProjectService#require} reads on every request. {@code default} exists from
 * the first migration and cannot be deleted; a project is deleted only when it holds nothing.
 */
@Singleton
public class ProjectKind extends KindService {

    private static final String DEFAULT = Project.DEFAULT;
    private static final int DESCRIPTION_MAX = 1024;

    private final DataSource dataSource;
    private final ChangeNotifications notifications;

    ProjectKind(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json,
            DataSource dataSource, ChangeNotifications notifications) {
        super(store, events, idempotency, json);
        this.dataSource = dataSource;
        this.notifications = notifications;
    }

    @Override
    public String kind() {
        return Project.KIND;
    }

    @Override
    protected String path() {
        return "/v1/projects";
    }

    @Override
    protected JsonNode checkSpec(String project, JsonNode specNode, List<Problem.FieldError> errors) {
        var spec = json.convertValue(specNode, Project.Spec.class);
        if (spec.description() != null && spec.description().length() > DESCRIPTION_MAX) {
            errors.add(new Problem.FieldError("spec.description", "must be at most " + DESCRIPTION_MAX + " characters long"));
        }
        return json.valueToTree(spec);
    }

    @Override
    protected void onCreate(StoredObject created) {
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("INSERT INTO project (name, uid, creation_timestamp) VALUES (?, ?, ?)")) {
            s.setString(1, created.name());
            s.setObject(2, created.uid());
            s.setTimestamp(3, Timestamp.from(created.creationTimestamp()));
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("creating project " + created.name(), e);
        }
    }

    /** Refuses to delete {@code default} or a project that still holds objects (409), then drops its row. */
    @Override
    protected void onDelete(StoredObject old) {
        if (old.name().equals(DEFAULT)) {
            throw ConflictException.of("Project 'default' cannot be deleted.");
        }
        try (var c = dataSource.getConnection()) {
            var held = new ArrayList<String>();
            int count = 0;
            try (var s = c.prepareStatement("SELECT kind, name, count(*) OVER () FROM resource WHERE project = ? ORDER BY kind, name LIMIT 3")) {
                s.setString(1, old.name());
                try (var rs = s.executeQuery()) {
                    while (rs.next()) {
                        held.add(rs.getString(1) + " " + rs.getString(2));
                        count = rs.getInt(3);
                    }
                }
            }
            if (count > 0) {
                throw ConflictException.of("Project '" + old.name() + "' still holds " + count + (count == 1 ? " object" : " objects")
                        + " (" + String.join(", ", held) + (count > held.size() ? ", ..." : "") + "); delete them first.");
            }
            try (var s = c.prepareStatement("DELETE FROM project WHERE name = ?")) {
                s.setString(1, old.name());
                s.executeUpdate();
            }
            notifications.changedAfterCommit(ChangeNotifications.PROJECTS, old.name());
        } catch (SQLException e) {
            throw new StoreException("deleting project " + old.name(), e);
        }
    }

    public Project view(StoredObject o) {
        return json.convertValue(store.render(o), Project.class);
    }
}
