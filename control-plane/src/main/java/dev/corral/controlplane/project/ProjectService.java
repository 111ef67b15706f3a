package dev.corral.controlplane.project;

import java.sql.SQLException;

import javax.sql.DataSource;

import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.store.ChangeNotifications;
import dev.corral.controlplane.store.NotifiedCache;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Projects own every namespaced object; this is the check each request's {@code project} goes through. Projects are
 * created and deleted through {@code /v1/projects} (tenancy.ProjectKind), which keeps the {@code project} table. A
 * project found there is kept in memory until the database notifies its deletion ({@link ChangeNotifications}: at
 * once through this replica, milliseconds later through another), so a request naming it needs no round trip.
 */
@ApplicationScoped
public class ProjectService {

    public static final String DEFAULT = "default";

    private final DataSource dataSource;
    private final NotifiedCache<Boolean> existing;

    ProjectService(DataSource dataSource, ChangeNotifications notifications) {
        this.dataSource = dataSource;
        this.existing = new NotifiedCache<>(notifications, ChangeNotifications.PROJECTS);
    }

    /** The project a request names (default when absent); 404 when it does not exist. */
    public String require(String project) {
        String name = project == null || project.isBlank() ? DEFAULT : project;
        if (name.equals(DEFAULT) || existing.get(name) != null) {
            return name;
        }
        long generation = existing.generation();
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("SELECT 1 FROM project WHERE name = ?")) {
            s.setString(1, name);
            try (var rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new NotFoundException("Project", name);
                }
            }
        } catch (SQLException e) {
            throw new StoreException("reading project " + name, e);
        }
        existing.put(name, Boolean.TRUE, generation);
        return name;
    }
}
