package dev.corral.controlplane.container;

import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.api.Container;
import dev.corral.api.Problem;
import dev.corral.api.Resources;
import dev.corral.api.ServerVersion;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.image.ImageSpecs;
import dev.corral.controlplane.instancetype.InstanceTypeService;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.quota.QuotaLedger;
import dev.corral.controlplane.scheduling.Ledger;
import dev.corral.controlplane.scheduling.Scheduler;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import dev.corral.controlplane.workload.WorkloadService;
import jakarta.inject.Singleton;

/** OCI containers: the same life cycle and scheduler as VMs; nodes run them with runc (docs/0007-containers.md). */
@Singleton
public class ContainerService extends WorkloadService {

    public static final double DEFAULT_CPUS = 1.0;
    public static final long DEFAULT_MEMORY_MIB = 256;
    public static final int DEFAULT_PIDS_LIMIT = 1024;
    private static final Pattern IMAGE = Pattern.compile("[a-z0-9]+([._/:@-][A-Za-z0-9_.-]+)*");
    private static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final List<String> PLACEMENT_FIELDS = List.of("image", "cpus", "memoryMiB", "nodeSelector", "antiAffinityGroup",
            "network");

    private final ImageSpecs images;

    ContainerService(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json, Ledger ledger,
            Scheduler scheduler, QuotaLedger quotas, ImageSpecs images) {
        super(store, events, idempotency, json, ledger, scheduler, quotas);
        this.images = images;
    }

    @Override
    public String kind() {
        return Container.KIND;
    }

    @Override
    protected String path() {
        return "/v1/containers";
    }

    @Override
    protected List<String> placementFields() {
        return PLACEMENT_FIELDS;
    }

    @Override
    protected JsonNode checkSpec(String project, JsonNode specNode, List<Problem.FieldError> errors) {
        var spec = json.convertValue(specNode, Container.Spec.class);
        if (spec.image() == null || spec.image().isBlank()) {
            errors.add(new Problem.FieldError("spec.image", "is required: the name of an Image holding a container image (corral image import)"));
        } else if (spec.image().length() > 255 || !IMAGE.matcher(spec.image()).matches()) {
            errors.add(new Problem.FieldError("spec.image", "'" + spec.image() + "' is not an Image name"));
        }
        if (spec.command() != null && (spec.command().isEmpty() || spec.command().stream().anyMatch(a -> a == null))) {
            errors.add(new Problem.FieldError("spec.command", "must hold the program and its arguments, none of them null"));
        }
        if (spec.args() != null && spec.args().stream().anyMatch(a -> a == null)) {
            errors.add(new Problem.FieldError("spec.args", "must not hold null"));
        }
        if (spec.workingDir() != null && !spec.workingDir().startsWith("/")) {
            errors.add(new Problem.FieldError("spec.workingDir", "must be an absolute path"));
        }
        int pids = spec.pidsLimit() == null ? DEFAULT_PIDS_LIMIT : spec.pidsLimit();
        if (pids < 1 || pids > 1 << 22) {
            errors.add(new Problem.FieldError("spec.pidsLimit", "must be between 1 and " + (1 << 22)));
        }
        String network = spec.network() == null ? "none" : spec.network();
        if (!network.equals("none") && !network.equals("attached")) {
            errors.add(new Problem.FieldError("spec.network", "must be none (its own network namespace with only loopback) "
                    + "or attached (an address on its node's network, like an attached VM)"));
        }
        double cpus = spec.cpus() == null ? DEFAULT_CPUS : spec.cpus();
        if (cpus < 0.01 || cpus > InstanceTypeService.MAX_VCPUS) {
            errors.add(new Problem.FieldError("spec.cpus", "must be between 0.01 and " + InstanceTypeService.MAX_VCPUS));
        }
        long memory = spec.memoryMiB() == null ? DEFAULT_MEMORY_MIB : spec.memoryMiB();
        if (memory < 4 || memory > InstanceTypeService.MAX_MEMORY_MIB) {
            errors.add(new Problem.FieldError("spec.memoryMiB", "must be between 4 and " + InstanceTypeService.MAX_MEMORY_MIB));
        }
        if (spec.env() != null) {
            spec.env().keySet().stream().filter(k -> !ENV.matcher(k).matches()).forEach(k ->
                    errors.add(new Problem.FieldError("spec.env", "'" + k + "' is not a valid environment variable name")));
        }
        var normalized = (ObjectNode) json.valueToTree(spec);
        normalized.put("cpus", cpus);
        normalized.put("memoryMiB", memory);
        normalized.put("pidsLimit", pids);
        normalized.put("network", network);
        normalized.put("readOnlyRootFilesystem", Boolean.TRUE.equals(spec.readOnlyRootFilesystem()));
        checkCommon(normalized, "Always", 10, errors);
        if (errors.isEmpty()) {
            // Well formed: now the image it names must exist, hold a container image, and say what to run.
            var image = images.find(project, spec.image())
                    .orElseThrow(() -> new UnprocessableException("spec.image", "names no Image of project " + project,
                            "spec.image names Image '" + spec.image() + "', which does not exist in project " + project
                                    + ": import it first (corral image import FILE)."));
            if (image.container() == null) {
                throw new UnprocessableException("spec.image", "is a VM image", "spec.image names Image '" + spec.image()
                        + "', which is a VM image (a kernel), not a container image.");
            }
            boolean command = spec.command() != null || image.container().entrypoint() != null
                    || (spec.args() != null && !spec.args().isEmpty()) || image.container().cmd() != null;
            if (!command) {
                throw new UnprocessableException("spec.command", "is required: image '" + spec.image() + "' has no Entrypoint or Cmd",
                        "Image '" + spec.image() + "' says nothing to run (no Entrypoint or Cmd): give spec.command.");
            }
        }
        return normalized;
    }

    @Override
    protected Resources resources(String project, JsonNode spec) {
        return new Resources(spec.path("cpus").asDouble(DEFAULT_CPUS), spec.path("memoryMiB").asLong(DEFAULT_MEMORY_MIB));
    }

    /** The container as the API shows it ({@link ResourceStore#render}'s fields), built from its parts. */
    public Container view(StoredObject o) {
        return new Container(ServerVersion.API_VERSION, o.kind(), ResourceStore.metadata(o), fromTree(o.spec(), Container.Spec.class),
                fromTree(o.status(), WorkloadStatus.class));
    }
}
