package dev.corral.controlplane.usage;

import dev.corral.controlplane.lifecycle.LifecycleConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Runs the usage meter on the lifecycle topic while the control plane runs. */
@ApplicationScoped
class UsageMeterLifecycle {

    private final UsageMeter meter;
    private final UsageStore store;
    private final LifecycleConfig lifecycle;
    private final UsageConfig config;
    private final String bootstrapServers;
    private UsageConsumer consumer;

    UsageMeterLifecycle(UsageMeter meter, UsageStore store, LifecycleConfig lifecycle, UsageConfig config,
            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.meter = meter;
        this.store = store;
        this.lifecycle = lifecycle;
        this.config = config;
        this.bootstrapServers = bootstrapServers;
    }

    void start(@Observes StartupEvent event) {
        if (config.enabled()) {
            consumer = UsageConsumer.forLifecycle(meter, store, bootstrapServers, lifecycle, config);
            consumer.start();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (consumer != null) {
            consumer.close();
        }
    }
}
