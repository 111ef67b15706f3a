package dev.corral.agent.controlplane;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready to take work once the control plane knows this node. */
@Readiness
@ApplicationScoped
public class RegistrationHealthCheck implements HealthCheck {

    private final NodeRegistration registration;

    RegistrationHealthCheck(NodeRegistration registration) {
        this.registration = registration;
    }

    @Override
    public HealthCheckResponse call() {
        var builder = HealthCheckResponse.named("registration").withData("node", registration.nodeName());
        return registration.registered() ? builder.up().build() : builder.down().withData("problem", registration.problem()).build();
    }
}
