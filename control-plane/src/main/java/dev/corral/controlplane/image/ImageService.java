package dev.corral.controlplane.image;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Blob;
import dev.corral.api.Image;
import dev.corral.api.Problem;
import dev.corral.controlplane.event.EventService;
import dev.corral.controlplane.idempotency.IdempotencyService;
import dev.corral.controlplane.kind.KindService;
import dev.corral.controlplane.problem.UnprocessableException;
import dev.corral.controlplane.store.ResourceStore;
import dev.corral.controlplane.store.StoredObject;
import jakarta.inject.Singleton;

/** Images: named sets of uploaded boot artifacts. Project-scoped. */
@Singleton
public class ImageService extends KindService {

    private static final java.util.Set<String> FORMATS = java.util.Set.of("raw", "qcow2");
    private static final long SECTOR = 512;

    private final BlobService blobs;
    private final ImageSpecs specs;

    ImageService(ResourceStore store, EventService events, IdempotencyService idempotency, ObjectMapper json, BlobService blobs,
            ImageSpecs specs) {
        super(store, events, idempotency, json);
        this.blobs = blobs;
        this.specs = specs;
    }

    @Override
    protected void onReplaced(StoredObject old, StoredObject updated) {
        specs.changing(old.project(), old.name());
    }

    @Override
    protected void onDeleted(StoredObject old) {
        specs.changing(old.project(), old.name());
    }

    @Override
    public String kind() {
        return Image.KIND;
    }

    @Override
    protected String path() {
        return "/v1/images";
    }

    @Override
    protected JsonNode checkSpec(String project, JsonNode specNode, List<Problem.FieldError> errors) {
        var spec = json.convertValue(specNode, Image.Spec.class);
        if (spec.container() != null) {
            return checkContainer(spec, errors);
        }
        if (spec.kernel() == null || spec.kernel().sha256() == null) {
            errors.add(new Problem.FieldError("spec.kernel.sha256", "is required: upload the kernel to POST /v1/blobs first"));
        }
        String arch = spec.architecture() == null ? "x86_64" : spec.architecture();
        if (!arch.equals("x86_64")) {
            errors.add(new Problem.FieldError("spec.architecture", "must be x86_64"));
        }
        if (spec.cmdline() != null && spec.cmdline().length() > 4096) {
            errors.add(new Problem.FieldError("spec.cmdline", "must be at most 4096 characters"));
        }
        if (spec.disk() != null) {
            if (spec.disk().sha256() == null) {
                errors.add(new Problem.FieldError("spec.disk.sha256", "is required: upload the disk to POST /v1/blobs first"));
            }
            if (spec.disk().format() != null && !FORMATS.contains(spec.disk().format())) {
                errors.add(new Problem.FieldError("spec.disk.format", "must be raw or qcow2"));
            }
        }
        if (!errors.isEmpty()) {
            return specNode;
        }
        return json.valueToTree(new Image.Spec(resolve("spec.kernel", spec.kernel()), resolve("spec.initrd", spec.initrd()),
                resolveDisk(spec.disk()), spec.cmdline(), arch));
    }

    /**
     * An OCI container image: its config and layers must be uploaded blobs; the config is read and must be a
     * linux/amd64 image whose diff_ids match the layers, and each layer must be a safe tar ({@link LayerScan}). What it says (diff ids, Entrypoint, Cmd, Env, WorkingDir,
     * User) is filled in, replacing whatever a client sent for those.
     */
    private JsonNode checkContainer(Image.Spec spec, List<Problem.FieldError> errors) {
        if (spec.kernel() != null || spec.initrd() != null || spec.disk() != null || spec.cmdline() != null) {
            errors.add(new Problem.FieldError("spec.container", "an Image is either a container image or a VM image: give no kernel, initrd, disk or cmdline with it"));
        }
        String arch = spec.architecture() == null ? "x86_64" : spec.architecture();
        if (!arch.equals("x86_64")) {
            errors.add(new Problem.FieldError("spec.architecture", "must be x86_64"));
        }
        var c = spec.container();
        if (c.config() == null || c.config().sha256() == null) {
            errors.add(new Problem.FieldError("spec.container.config.sha256", "is required: upload the image config to POST /v1/blobs first"));
        }
        if (c.layers() == null || c.layers().isEmpty()) {
            errors.add(new Problem.FieldError("spec.container.layers", "is required: at least one layer"));
        } else if (c.layers().size() > 127) {
            errors.add(new Problem.FieldError("spec.container.layers", "must hold at most 127 layers"));
        } else {
            for (int i = 0; i < c.layers().size(); i++) {
                var layer = c.layers().get(i);
                if (layer == null || layer.sha256() == null) {
                    errors.add(new Problem.FieldError("spec.container.layers[" + i + "].sha256", "is required"));
                } else if (layer.mediaType() == null || !OciImageConfig.LAYER_MEDIA_TYPES.contains(layer.mediaType())) {
                    errors.add(new Problem.FieldError("spec.container.layers[" + i + "].mediaType", "must be one of "
                            + new java.util.TreeSet<>(OciImageConfig.LAYER_MEDIA_TYPES) + " (zstd layers are not supported)"));
                }
            }
        }
        if (!errors.isEmpty()) {
            return json.valueToTree(spec);
        }
        var config = resolve("spec.container.config", c.config());
        if (config.size() > OciImageConfig.MAX_BYTES) {
            throw new UnprocessableException("spec.container.config", "is " + config.size() + " bytes, more than an image config may be",
                    "spec.container.config names blob " + config.sha256() + " of " + config.size() + " bytes: an image config is at most "
                            + OciImageConfig.MAX_BYTES + " bytes.");
        }
        var layers = new java.util.ArrayList<Image.Layer>();
        for (int i = 0; i < c.layers().size(); i++) {
            var layer = c.layers().get(i);
            var blob = resolve("spec.container.layers[" + i + "]", new Image.BlobRef(layer.sha256(), null));
            layers.add(new Image.Layer(blob.sha256(), blob.size(), layer.mediaType(), null));
        }
        Image.ContainerImage image;
        try {
            image = OciImageConfig.read(json, blobs.content(new Blob(config.sha256(), config.size())), config, layers);
        } catch (OciImageConfig.NotUsableException e) {
            throw new UnprocessableException("spec.container.config", e.getMessage(), "spec.container.config: " + e.getMessage() + ".");
        }
        // Each layer read through before anything is stored: an unsafe entry or a wrong diff_id is refused here, once,
        // rather than on every node that would try to start a container of it.
        for (int i = 0; i < image.layers().size(); i++) {
            var layer = image.layers().get(i);
            try {
                // Read a chunk at a time (a layer may be hundreds of MiB); the scan closes the stream.
                LayerScan.check(i, layer, blobs.open(new Blob(layer.sha256(), layer.size())), blobs.maxLayerBytes());
            } catch (LayerScan.BadLayerException e) {
                throw new UnprocessableException("spec.container.layers[" + i + "]", e.getMessage(),
                        "spec.container.layers[" + i + "]: " + e.getMessage() + ".");
            }
        }
        return json.valueToTree(new Image.Spec(null, null, null, null, arch, image));
    }

    /**
     * The disk with its sizes filled in: the blob's own, and what the guest sees, read from the blob (a raw disk is
     * its own size, a qcow2 disk says its size in its header). Sizes a client sent are replaced.
     */
    private Image.DiskRef resolveDisk(Image.DiskRef disk) {
        if (disk == null) {
            return null;
        }
        var blob = resolve("spec.disk", new Image.BlobRef(disk.sha256(), null));
        String format = disk.format() == null ? "raw" : disk.format();
        long virtualSize;
        if (format.equals("raw")) {
            if (blob.size() == 0 || blob.size() % SECTOR != 0) {
                throw new UnprocessableException("spec.disk.sha256", "names a raw disk of " + blob.size()
                        + " bytes, not a multiple of " + SECTOR, "spec.disk names blob " + blob.sha256() + " of " + blob.size()
                        + " bytes: a raw disk must be a whole number of " + SECTOR + "-byte sectors.");
            }
            virtualSize = blob.size();
        } else {
            try {
                virtualSize = Qcow2Header.parse(blobs.head(new Blob(blob.sha256(), blob.size()), Qcow2Header.LENGTH)).virtualSizeBytes();
            } catch (Qcow2Header.NotUsableException e) {
                throw new UnprocessableException("spec.disk.sha256", e.getMessage(),
                        "spec.disk names blob " + blob.sha256() + ", which " + e.getMessage() + ".");
            }
        }
        return new Image.DiskRef(blob.sha256(), blob.size(), format, virtualSize);
    }

    /** Fills in the size of an uploaded part; a part that was never uploaded is a 422. */
    private Image.BlobRef resolve(String field, Image.BlobRef ref) {
        if (ref == null) {
            return null;
        }
        var blob = blobs.find(ref.sha256() == null ? "" : ref.sha256()).orElseThrow(() -> new UnprocessableException(
                field + " names blob " + ref.sha256() + ", which was never uploaded: POST it to /v1/blobs first."));
        return new Image.BlobRef(blob.sha256(), blob.size());
    }

    public Image view(StoredObject o) {
        return json.convertValue(store.render(o), Image.class);
    }
}
