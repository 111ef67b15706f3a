package dev.corral.agent;

import java.util.Map;

import dev.corral.agent.reconcile.Desired;
import dev.corral.agent.reconcile.WorkloadRuntime;
import dev.corral.engine.devices.legacy.ConsoleSink;

/** The reconciler's one runtime: each workload goes to the runtime of its kind (the engine for VMs, runc for Containers). */
final class KindRuntimes implements WorkloadRuntime {

    private final Map<String, WorkloadRuntime> byKind;

    KindRuntimes(Map<String, WorkloadRuntime> byKind) {
        this.byKind = Map.copyOf(byKind);
    }

    @Override
    public Handle start(Desired desired, ConsoleSink console, Listener listener) throws StartException {
        var runtime = byKind.get(desired.kind());
        if (runtime == null) {
            throw new StartException("Unsupported", desired.kind() + "s are not run by this agent");
        }
        return runtime.start(desired, console, listener);
    }

    @Override
    public java.util.Optional<Handle> adopt(Desired desired, ConsoleSink console, Listener listener) {
        var runtime = byKind.get(desired.kind());
        return runtime == null ? java.util.Optional.empty() : runtime.adopt(desired, console, listener);
    }

    /** The uid alone does not say the kind: each runtime removes what it has of it (none has anything of another's). */
    @Override
    public void delete(String uid) {
        byKind.values().forEach(r -> r.delete(uid));
    }
}
