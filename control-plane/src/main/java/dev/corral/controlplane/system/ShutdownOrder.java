package dev.corral.controlplane.system;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

/**
 * The first thing a stopping control plane does: no periodic job starts any more. The other shutdown observers
 * (the Kafka consumers) take up to seconds, and the connection pool closes after them; a job fired meanwhile would
 * fail on a closing connection and log it as an error of a normal stop (issue 20).
 */
@ApplicationScoped
class ShutdownOrder {

    private final Scheduler scheduler;

    ShutdownOrder(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    void pauseJobs(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        scheduler.pause();
    }
}
