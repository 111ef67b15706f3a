package dev.corral.agent.inventory;

import dev.corral.agent.config.AgentConfig;
import dev.corral.engine.host.AcceleratorProbe;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Reports how this host can run guests. Every kind is a working node (emulated-only still runs the software
 * CPU), so the check is UP; its data tells operators what they got and why.
 */
@Readiness
@ApplicationScoped
public class AcceleratorHealthCheck implements HealthCheck {

    private final AgentConfig config;

    AcceleratorHealthCheck(AgentConfig config) {
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        var finding = new AcceleratorProbe(config.hostRoot()).probe();
        return HealthCheckResponse.named("accelerator")
                .up()
                .withData("kind", finding.accelerator().wireName())
                .withData("reason", finding.reason())
                .build();
    }
}
