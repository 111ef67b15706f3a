package dev.corral.controlplane.quota;

import java.util.regex.Pattern;

import dev.corral.api.Problem;
import dev.corral.api.Quota;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.project.ProjectService;
import dev.corral.controlplane.store.Names;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;

/** Reading and setting a project's quota (the numbers' bounds are openapi.yaml's, enforced before this runs). */
@ApplicationScoped
public class QuotaService {

    /** The device class names DeviceRequests accepts. */
    private static final Pattern CLASS = Pattern.compile("[a-z][-a-z0-9]{0,31}");

    private final QuotaLedger ledger;
    private final ProjectService projects;

    QuotaService(QuotaLedger ledger, ProjectService projects) {
        this.ledger = ledger;
        this.projects = projects;
    }

    /** The project's limits and usage; 404 when the project does not exist. */
    public Quota get(String project) {
        projects.require(project);
        return ledger.read(project);
    }

    /** Replaces the project's limits, even below what is in use; returns them with the usage. */
    public Quota set(String project, Quota.Limits limits) {
        var errors = Names.errors();
        if (limits.devices() != null) {
            new java.util.TreeMap<>(limits.devices()).forEach((c, limit) -> {
                if (!CLASS.matcher(c).matches()) {
                    errors.add(new Problem.FieldError("devices." + c, "must be 1 to 32 lowercase letters, digits or '-', starting with a letter, like gpu"));
                } else if (limit == null) {
                    errors.add(new Problem.FieldError("devices." + c, "must be an integer, not null (leave it out for no limit)"));
                }
            });
        }
        if (!errors.isEmpty()) {
            var first = errors.getFirst();
            throw new InvalidException("The request is invalid: " + first.field() + " " + first.message() + ".", errors);
        }
        projects.require(project);
        return QuarkusTransaction.requiringNew().call(() -> {
            ledger.setLimits(project, limits);
            return ledger.read(project);
        });
    }
}
