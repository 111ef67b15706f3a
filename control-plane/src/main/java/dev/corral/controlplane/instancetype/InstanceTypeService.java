package dev.corral.controlplane.instancetype;

import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.InstanceType;
import dev.corral.api.Problem;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.kind.KindService;
import dev.corral.controlplane.store.Names;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.workload.DeviceRequests;
import jakarta.inject.Singleton;

/** Named VM shapes. Cluster-scoped; a default set is seeded by the V3 migration. */
@Singleton
public class InstanceTypeService extends KindService {

    public static final int MAX_VCPUS = 256;
    public static final long MIN_MEMORY_MIB = 16;
    public static final long MAX_MEMORY_MIB = 4L * 1024 * 1024;

    InstanceTypeService(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json) {
        super(store, events, idempotency, json);
    }

    @Override
    public String kind() {
        return InstanceType.KIND;
    }

    @Override
    protected String path() {
        return "/v1/instancetypes";
    }

    /** Instance type names may have dots, like {@code c1.large}: DNS subdomains. */
    @Override
    protected void checkName(String field, String name, List<Problem.FieldError> errors) {
        Names.checkSubdomain(field, name, errors);
    }

    @Override
    protected JsonNode checkSpec(String project, JsonNode specNode, List<Problem.FieldError> errors) {
        var spec = json.convertValue(specNode, InstanceType.Spec.class);
        checkShape("spec", spec.vcpus(), spec.memoryMiB(), errors);
        DeviceRequests.check("spec.devices", spec.devices(), errors);
        return json.valueToTree(new InstanceType.Spec(spec.vcpus(), spec.memoryMiB(), DeviceRequests.normalized(spec.devices())));
    }

    public static void checkShape(String field, Integer vcpus, Long memoryMiB, List<Problem.FieldError> errors) {
        if (vcpus == null || vcpus < 1 || vcpus > MAX_VCPUS) {
            errors.add(new Problem.FieldError(field + ".vcpus", "must be between 1 and " + MAX_VCPUS));
        }
        if (memoryMiB == null || memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
            errors.add(new Problem.FieldError(field + ".memoryMiB", "must be between " + MIN_MEMORY_MIB + " and " + MAX_MEMORY_MIB));
        }
    }

    public Optional<InstanceType.Spec> find(String name) {
        return store.find(InstanceType.KIND, ResourceStore.CLUSTER, name)
                .map(o -> json.convertValue(o.spec(), InstanceType.Spec.class));
    }

    public InstanceType view(dev.corral.controlplane.store.StoredObject o) {
        return json.convertValue(store.render(o), InstanceType.class);
    }
}
