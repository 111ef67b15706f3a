package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.upload;
import static dev.corral.controlplane.Api.vmBody;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;

import java.nio.ByteBuffer;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/** Image disks (raw, qcow2) and a VM's boot disk size and volumes: validated strictly, added up in diskGiB. */
@QuarkusTest
class VmDisksIT {

    private static final long GIB = 1L << 30;
    private final String pool = unique("pool");

    /** The first bytes of a qcow2 file: magic, version, backing file offset, then the virtual size at 24. */
    static byte[] qcow2(int version, long backingFileOffset, long virtualSize) {
        var b = ByteBuffer.allocate(512);
        b.putInt(0, 0x514649fb).putInt(4, version).putLong(8, backingFileOffset).putInt(20, 16).putLong(24, virtualSize);
        // A salt, so each call uploads a distinct blob.
        b.putLong(100, System.nanoTime());
        return b.array();
    }

    private static Response createImage(String name, String diskJson) {
        String kernel = upload(("kernel of " + name).getBytes());
        return json().body("""
                {"metadata": {"name": "%s"}, "spec": {"kernel": {"sha256": "%s"}, "disk": %s}}""".formatted(name, kernel, diskJson))
                .post("/v1/images");
    }

    /** An image whose qcow2 disk is {@code virtualSize} bytes; returns its name. */
    private static String qcow2Image(long virtualSize) {
        String name = unique("img");
        createImage(name, "{\"sha256\": \"%s\", \"format\": \"qcow2\"}".formatted(upload(qcow2(3, 0, virtualSize)))).then().statusCode(201);
        return name;
    }

    @Test
    void rawDiskIsItsOwnSizeAndTheDefaultFormat() {
        byte[] raw = new byte[4096];
        raw[0] = (byte) System.nanoTime();
        raw[1] = (byte) (System.nanoTime() >> 8);
        createImage(unique("img"), "{\"sha256\": \"%s\", \"size\": 7, \"virtualSizeBytes\": 9}".formatted(upload(raw))).then().statusCode(201)
                .body("spec.disk.format", equalTo("raw"))
                .body("spec.disk.size", equalTo(4096))
                .body("spec.disk.virtualSizeBytes", equalTo(4096));
    }

    @Test
    void rawDiskThatIsNotWholeSectorsIsUnprocessable() {
        createImage(unique("img"), "{\"sha256\": \"%s\", \"format\": \"raw\"}".formatted(upload(("odd " + unique("x")).getBytes())))
                .then().statusCode(422).contentType("application/problem+json")
                .body("errors[0].field", equalTo("spec.disk.sha256"))
                .body("detail", containsString("512-byte sectors"));
    }

    @Test
    void qcow2DiskSizeComesFromItsHeader() {
        createImage(unique("img"), "{\"sha256\": \"%s\", \"format\": \"qcow2\"}".formatted(upload(qcow2(2, 0, 3 * GIB + 1))))
                .then().statusCode(201)
                .body("spec.disk.format", equalTo("qcow2"))
                .body("spec.disk.size", equalTo(512))
                .body("spec.disk.virtualSizeBytes", equalTo(3 * GIB + 1));
    }

    @Test
    void qcow2WithABackingFileAnotherVersionOrNoHeaderIsUnprocessable() {
        createImage(unique("img"), "{\"sha256\": \"%s\", \"format\": \"qcow2\"}".formatted(upload(qcow2(3, 0x10000, GIB))))
                .then().statusCode(422).body("errors[0].field", equalTo("spec.disk.sha256")).body("detail", containsString("backing file"));
        createImage(unique("img"), "{\"sha256\": \"%s\", \"format\": \"qcow2\"}".formatted(upload(qcow2(4, 0, GIB))))
                .then().statusCode(422).body("detail", containsString("version 4"));
        createImage(unique("img"), "{\"sha256\": \"%s\", \"format\": \"qcow2\"}".formatted(upload(new byte[1024 + (int) (System.nanoTime() & 511)])))
                .then().statusCode(422).body("detail", containsString("not a qcow2 image"));
    }

    @Test
    void diskFormatAndReferenceAreValidated() {
        createImage(unique("img"), "{\"sha256\": \"%s\", \"format\": \"vmdk\"}".formatted(upload(qcow2(3, 0, GIB))))
                .then().statusCode(400).contentType("application/problem+json").body("errors[0].field", equalTo("spec.disk.format"));
        createImage(unique("img"), "{\"format\": \"raw\"}").then().statusCode(400).body("errors[0].field", equalTo("spec.disk.sha256"));
        createImage(unique("img"), "{\"sha256\": \"%s\", \"formt\": \"raw\"}".formatted(upload(qcow2(3, 0, GIB))))
                .then().statusCode(400).body("errors[0].field", equalTo("spec.disk.formt"));
        createImage(unique("img"), "{\"sha256\": \"%s\"}".formatted("0".repeat(64))).then().statusCode(422)
                .body("detail", containsString("never uploaded"));
    }

    @Test
    void diskGiBIsTheBootDiskPlusTheVolumes() {
        registerNode(unique("node"), pool, 8, 8192, "kvm-hardware", null).then().statusCode(201);
        String img = qcow2Image(3 * GIB - 5);
        createVm(vmBody(unique("vm"), img, 1, 64, pool, """
                "disks": {"bootSizeGiB": 10, "volumes": [{"name": "data", "sizeGiB": 100}, {"name": "logs", "sizeGiB": 5}]}"""))
                .then().statusCode(201)
                .body("spec.disks.bootSizeGiB", equalTo(10))
                .body("spec.disks.volumes[1].name", equalTo("logs"))
                .body("status.resources.diskGiB", equalTo(115));
        // Without a boot size the boot disk is the image disk's, rounded up to whole GiB.
        createVm(vmBody(unique("vm"), img, 1, 64, pool, null)).then().statusCode(201).body("status.resources.diskGiB", equalTo(3));
        // A diskless image with volumes: only the volumes.
        createVm(vmBody(unique("vm"), image(), 1, 64, pool, "\"disks\": {\"volumes\": [{\"name\": \"v\", \"sizeGiB\": 7}]}"))
                .then().statusCode(201).body("status.resources.diskGiB", equalTo(7));
        createVm(vmBody(unique("vm"), image(), 1, 64, pool, null)).then().statusCode(201).body("status.resources.diskGiB", nullValue());
    }

    @Test
    void bootSizeNeedsAnImageDiskAndCannotShrinkIt() {
        String img = qcow2Image(3 * GIB + 1);
        createVm(vmBody(unique("vm"), img, 1, 64, pool, "\"disks\": {\"bootSizeGiB\": 3}")).then().statusCode(422)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("spec.disks.bootSizeGiB"))
                .body("errors[0].message", containsString("at least 4"));
        createVm(vmBody(unique("vm"), img, 1, 64, pool, "\"disks\": {\"bootSizeGiB\": 4}")).then().statusCode(201)
                .body("status.resources.diskGiB", equalTo(4));
        createVm(vmBody(unique("vm"), image(), 1, 64, pool, "\"disks\": {\"bootSizeGiB\": 4}")).then().statusCode(422)
                .body("errors[0].field", equalTo("spec.disks.bootSizeGiB")).body("detail", containsString("has no disk"));
    }

    @Test
    void aVmWithDisksOrANetworkKeepsItsMemoryBelowThePciWindow() {
        String img = qcow2Image(GIB);
        createVm(vmBody(unique("vm"), img, 1, 4096, pool, null)).then().statusCode(422)
                .contentType("application/problem+json")
                .body("errors[0].field", equalTo("spec.memoryMiB"))
                .body("errors[0].message", containsString("at most 2816 MiB"));
        createVm(vmBody(unique("vm"), image(), 1, 2817, pool, "\"network\": \"attached\"")).then().statusCode(422)
                .body("errors[0].field", equalTo("spec.memoryMiB"));
        createVm(vmBody(unique("vm"), img, 1, 2816, pool, null)).then().statusCode(201);
        createVm(vmBody(unique("vm"), image(), 1, 4096, pool, null)).then().statusCode(201);
    }

    @Test
    void disksAreValidatedStrictly() {
        String img = image();
        String eight = "{\"name\": \"v%d\", \"sizeGiB\": 1}";
        var volumes = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            volumes.append(i == 0 ? "" : ", ").append(eight.formatted(i));
        }
        bad(img, "\"disks\": {\"volumes\": [" + volumes + "]}", "spec.disks.volumes");
        bad(img, "\"disks\": {\"bootSizeGiB\": 2049}", "spec.disks.bootSizeGiB");
        bad(img, "\"disks\": {\"bootSizeGiB\": 0}", "spec.disks.bootSizeGiB");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"Data\", \"sizeGiB\": 1}]}", "spec.disks.volumes[0].name");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"" + "a".repeat(64) + "\", \"sizeGiB\": 1}]}", "spec.disks.volumes[0].name");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"" + "a".repeat(21) + "\", \"sizeGiB\": 1}]}", "spec.disks.volumes[0].name");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"boot\", \"sizeGiB\": 1}]}", "spec.disks.volumes[0].name");
        bad(img, "\"disks\": {\"volumes\": [{\"sizeGiB\": 1}]}", "spec.disks.volumes[0].name");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": 1}, {\"name\": \"a\", \"sizeGiB\": 2}]}", "spec.disks.volumes[1].name");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": 0}]}", "spec.disks.volumes[0].sizeGiB");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": 16385}]}", "spec.disks.volumes[0].sizeGiB");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"a\"}]}", "spec.disks.volumes[0].sizeGiB");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": \"ten\"}]}", "spec.disks.volumes[0].sizeGiB");
        bad(img, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGB\": 1}]}", "spec.disks.volumes[0].sizeGB");
        bad(img, "\"disks\": {\"bootSize\": 1}", "spec.disks.bootSize");
        bad(img, "\"disks\": [1]", "spec.disks");
        // 16384 and 7 volumes are the limits, not past them.
        var seven = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            seven.append(i == 0 ? "" : ", ").append(eight.formatted(i));
        }
        createVm(vmBody(unique("vm"), img, 1, 64, pool, "\"disks\": {\"volumes\": [" + seven + ", ]}".replace(", ]", "]")))
                .then().statusCode(201).body("status.resources.diskGiB", equalTo(7));
        createVm(vmBody(unique("vm"), img, 1, 64, pool, "\"disks\": {\"volumes\": [{\"name\": \"big\", \"sizeGiB\": 16384}]}"))
                .then().statusCode(201);
    }

    private void bad(String img, String extra, String field) {
        createVm(vmBody(unique("vm"), img, 1, 64, pool, extra)).then().statusCode(400).contentType("application/problem+json")
                .body("errors.field", hasItem(field));
    }

    @Test
    void disksCannotChangeAfterCreate() {
        String img = image();
        String name = unique("vm");
        createVm(vmBody(name, img, 1, 64, pool, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": 1}]}")).then().statusCode(201);
        json().body(vmBody(name, img, 1, 64, pool, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": 2}]}"))
                .put("/v1/vms/" + name).then().statusCode(422).contentType("application/problem+json")
                .body("errors[0].field", equalTo("spec.disks"));
        json().body(vmBody(name, img, 1, 64, pool, null)).put("/v1/vms/" + name).then().statusCode(422)
                .body("errors[0].field", equalTo("spec.disks"));
        json().body(vmBody(name, img, 1, 64, pool, "\"disks\": {\"volumes\": [{\"name\": \"a\", \"sizeGiB\": 1}]}, \"cmdline\": \"quiet\""))
                .put("/v1/vms/" + name).then().statusCode(200).body("metadata.generation", equalTo(2));
    }
}
