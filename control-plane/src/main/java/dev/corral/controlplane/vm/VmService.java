package dev.corral.controlplane.vm;

import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.corral.api.DeviceRequest;
import dev.corral.api.Image;
import dev.corral.api.InstanceType;
import dev.corral.api.Problem;
import dev.corral.api.Resources;
import dev.corral.api.ServerVersion;
import dev.corral.api.Vm;
import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.network.Macs;
import dev.corral.controlplane.store.LabelSelector;
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
import dev.corral.controlplane.workload.DeviceRequests;
import dev.corral.controlplane.workload.WorkloadService;
import jakarta.inject.Singleton;

@Singleton
public class VmService extends WorkloadService {

    private static final Set<String> ACCELERATORS = Set.of("kvm-hardware", "kvm-pvm", "emulated-only");
    private static final List<String> PLACEMENT_FIELDS = List.of("instanceType", "vcpus", "memoryMiB", "image", "devices",
            "nodeSelector", "antiAffinityGroup", "allowedAccelerators");

    private final InstanceTypeService instanceTypes;
    private final ImageSpecs images;

    VmService(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json, Ledger ledger,
            Scheduler scheduler, QuotaLedger quotas, InstanceTypeService instanceTypes, ImageSpecs images) {
        super(store, events, idempotency, json, ledger, scheduler, quotas);
        this.instanceTypes = instanceTypes;
        this.images = images;
    }

    @Override
    public String kind() {
        return Vm.KIND;
    }

    @Override
    protected String path() {
        return "/v1/vms";
    }

    @Override
    protected List<String> placementFields() {
        return PLACEMENT_FIELDS;
    }

    /** A VM spec as checked: normalised (canonical), and (when well formed) the Image and InstanceType it names. */
    private record Checked(ObjectNode normalized, Image.Spec image, InstanceType.Spec instanceType) {
    }

    @Override
    protected JsonNode checkSpec(String project, JsonNode specNode, List<Problem.FieldError> errors) {
        return check(project, fromTree(specNode, Vm.Spec.class), errors).normalized();
    }

    /**
     * The body's typed spec checked as it came (no tree and back), converted once to the tree that is stored; the
     * image and instance type read once: the status comes from the same pass.
     */
    @Override
    protected NewObject checkNew(String project, Object given, List<Problem.FieldError> errors) {
        Vm.Spec spec = given instanceof Vm.Spec typed ? typed : fromTree(specNode(given, errors), Vm.Spec.class);
        if (spec == null) {
            return new NewObject(null, null);
        }
        var checked = check(project, spec, errors);
        if (!errors.isEmpty()) {
            return new NewObject(null, null);
        }
        var status = pending(resources(spec, checked.image(), checked.instanceType()), deviceRequests(spec, checked.instanceType()));
        if (VmDisks.ATTACHED.equals(spec.network())) {
            // A VM with its network attached gets its MAC now, for its whole life; its address comes with its node.
            status = status.withNetwork(new WorkloadStatus.Network(uniqueMac(), null, null));
        }
        return new NewObject(checked.normalized(), json.valueToTree(status));
    }

    private Checked check(String project, Vm.Spec spec, List<Problem.FieldError> errors) {
        if (spec.instanceType() != null) {
            if (spec.vcpus() != null || spec.memoryMiB() != null) {
                errors.add(new Problem.FieldError("spec.instanceType", "give either instanceType or vcpus and memoryMiB, not both"));
            }
        } else if (spec.vcpus() == null && spec.memoryMiB() == null) {
            errors.add(new Problem.FieldError("spec", "give instanceType, or vcpus and memoryMiB"));
        } else {
            InstanceTypeService.checkShape("spec", spec.vcpus(), spec.memoryMiB(), errors);
        }
        if (spec.image() == null || spec.image().isBlank()) {
            errors.add(new Problem.FieldError("spec.image", "is required: the name of an Image"));
        }
        if (spec.cmdline() != null && spec.cmdline().length() > 4096) {
            errors.add(new Problem.FieldError("spec.cmdline", "must be at most 4096 characters"));
        }
        DeviceRequests.check("spec.devices", spec.devices(), errors);
        VmDisks.check(spec, errors);
        if (spec.allowedAccelerators() != null) {
            for (String a : spec.allowedAccelerators()) {
                if (!ACCELERATORS.contains(a)) {
                    errors.add(new Problem.FieldError("spec.allowedAccelerators", "'" + a + "' is not kvm-hardware, kvm-pvm or emulated-only"));
                }
            }
        }
        var normalized = (ObjectNode) canonical(spec);
        if (spec.devices() != null) {
            normalized.set("devices", canonical(DeviceRequests.normalized(spec.devices())));
        }
        checkCommon(normalized, "OnFailure", 30, errors);
        if (!errors.isEmpty()) {
            return new Checked(normalized, null, null);
        }
        // Well formed: now what it names must exist.
        var image = image(project, spec.image()).orElseThrow(() -> new UnprocessableException(
                "spec.image names Image '" + spec.image() + "', which does not exist in project " + project + "."));
        VmDisks.checkAgainstImage(spec, image);
        var type = spec.instanceType() == null ? null : instanceTypes.find(spec.instanceType()).orElseThrow(() ->
                new UnprocessableException("spec.instanceType names InstanceType '" + spec.instanceType() + "', which does not exist."));
        long memoryMiB = type != null ? type.memoryMiB() : spec.memoryMiB();
        VmDisks.checkMemoryWithDevices(spec, image, memoryMiB);
        return new Checked(normalized, image, type);
    }

    private java.util.Optional<Image.Spec> image(String project, String name) {
        return images.find(project, name);
    }

    @Override
    protected Resources resources(String project, JsonNode specNode) {
        var spec = fromTree(specNode, Vm.Spec.class);
        return resources(spec, spec.image() == null ? null : image(project, spec.image()).orElse(null),
                spec.instanceType() == null ? null : instanceType(spec.instanceType()));
    }

    private static Resources resources(Vm.Spec spec, Image.Spec image, InstanceType.Spec type) {
        Long diskGiB = VmDisks.diskGiB(spec, image);
        if (type != null) {
            return new Resources(type.vcpus(), type.memoryMiB(), diskGiB);
        }
        return new Resources(spec.vcpus(), spec.memoryMiB(), diskGiB);
    }

    /**
     * A random MAC no other VM has. 46 random bits make a clash rare; the store is asked anyway, and its unique index
     * on the MAC refuses the one a concurrent create might pick in between.
     */
    private String uniqueMac() {
        for (int attempt = 0; attempt < 16; attempt++) {
            String mac = Macs.random();
            // The MAC is our own hex and colons: safe inside the SQL condition.
            if (store.list(Vm.KIND, null, LabelSelector.EVERYTHING, 1, null, "status -> 'network' ->> 'mac' = '" + mac + "'")
                    .items().isEmpty()) {
                return mac;
            }
        }
        throw new IllegalStateException("16 random MACs in a row were taken: the random source is broken");
    }

    /** Disks and network are the VM's for life: its node made them (overlay, volumes, TAP) when it first started. */
    @Override
    protected void checkUpdate(StoredObject old, JsonNode newSpec) {
        var before = fromTree(old.spec(), Vm.Spec.class);
        var after = fromTree(newSpec, Vm.Spec.class);
        if (!java.util.Objects.equals(before.disks(), after.disks())) {
            throw new UnprocessableException("spec.disks", "cannot change after the VM is created",
                    "spec.disks of VM '" + old.name() + "' cannot change after it is created; delete it and create it again with the new disks.");
        }
        if (!VmDisks.network(before).equals(VmDisks.network(after))) {
            throw new UnprocessableException("spec.network", "cannot change after the VM is created",
                    "spec.network of VM '" + old.name() + "' cannot change after it is created; delete it and create it again attached or not.");
        }
        super.checkUpdate(old, newSpec);
    }

    @Override
    protected List<DeviceRequest> deviceRequests(String project, JsonNode specNode) {
        var spec = fromTree(specNode, Vm.Spec.class);
        return deviceRequests(spec, spec.devices() == null && spec.instanceType() != null ? instanceType(spec.instanceType()) : null);
    }

    /** The spec's own devices, else its instance type's. */
    private static List<DeviceRequest> deviceRequests(Vm.Spec spec, InstanceType.Spec type) {
        if (spec.devices() != null) {
            return spec.devices();
        }
        if (type != null && type.devices() != null) {
            return type.devices();
        }
        return List.of();
    }

    private InstanceType.Spec instanceType(String name) {
        return instanceTypes.find(name).orElseThrow(() ->
                new UnprocessableException("spec.instanceType names InstanceType '" + name + "', which does not exist."));
    }

    /** The VM as the API shows it ({@link ResourceStore#render}'s fields), built from its parts: no tree of it and back. */
    public Vm view(StoredObject o) {
        return new Vm(ServerVersion.API_VERSION, o.kind(), ResourceStore.metadata(o), fromTree(o.spec(), Vm.Spec.class),
                fromTree(o.status(), WorkloadStatus.class));
    }
}
