package dev.corral.controlplane.project;

import java.sql.SQLException;

import javax.sql.DataSource;

import dev.corral.controlplane.problem.NotFoundException;
import dev.corral.controlplane.store.StoreException;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Projects own every namespaced object; this is the check each request's {@code project} goes through. Projects are
 * created and deleted through {@code /v1/projects} (tenancy.ProjectKind), which keeps the {@code project} table.
 */
@ApplicationScoped
public class ProjectService {

    public static final String DEFAULT = "default";

    private final DataSource dataSource;

    ProjectService(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The project a request names (default when absent); 404 when it does not exist. */
    public String require(String project) {
        String name = project == null || project.isBlank() ? DEFAULT : project;
        if (name.equals(DEFAULT)) {
            return name;
        }
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
        return name;
    }
}
