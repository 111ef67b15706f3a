package dev.corral.controlplane;

import static dev.corral.controlplane.Api.containerImage;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.put;
import static dev.corral.controlplane.Api.registerNode;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.corral.api.Container;
import dev.corral.controlplane.store.ResourceStore;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ContainerApiIT {

    private final String pool = unique("pool");
    private String image;

    @Inject
    ResourceStore store;

    @Inject
    ObjectMapper mapper;

    @org.junit.jupiter.api.BeforeEach
    void importAnImage() {
        image = containerImage("[\"/bin/sh\"]");
    }

    private String body(String name, String cpus) {
        return """
                {"metadata": {"name": "%s"}, "spec": {"image": "%s", "command": ["sh", "-c", "sleep 1d"],
                 "env": {"GREETING": "hi"}, %s "nodeSelector": {"pool": "%s"}}}""".formatted(name, image, cpus, pool);
    }

    @Test
    void containersAreScheduledLikeVmsWithFractionalCpus() {
        String node = unique("node");
        registerNode(node, pool, 1, 1024, "emulated-only", null).then().statusCode(201);
        String a = unique("c");
        json().body(body(a, "\"cpus\": 0.5,")).post("/v1/containers").then().statusCode(201)
                .body("kind", equalTo("Container"))
                .body("spec.memoryMiB", equalTo(256))
                .body("spec.restartPolicy", equalTo("Always"))
                .body("spec.stopTimeoutSeconds", equalTo(10))
                .body("spec.pidsLimit", equalTo(1024))
                .body("spec.network", equalTo("none"))
                .body("spec.readOnlyRootFilesystem", equalTo(false))
                .body("status.phase", equalTo("Scheduled"))
                .body("status.node", equalTo(node))
                .body("status.resources.vcpus", equalTo(0.5f));
        // 1 vCPU x 4.0 allocation ratio = 4 vCPUs: 0.5 + 3.5 fits, one more 0.5 does not.
        json().body(body(unique("c"), "\"cpus\": 3.5,")).post("/v1/containers").then().statusCode(201)
                .body("status.phase", equalTo("Scheduled"));
        json().body(body(unique("c"), "\"cpus\": 0.5,")).post("/v1/containers").then().statusCode(201)
                .body("status.phase", equalTo("Pending"))
                .body("status.conditions[0].message", containsString("1 insufficient cpu"));
        json().body("{}").post("/v1/containers/" + a + "/stop").then().statusCode(200)
                .body("spec.stopRequest.timeoutSeconds", equalTo(10));
        given().get("/v1/nodes/" + node + "/assignments").then().body("items.metadata.name", hasItem(a));
        given().delete("/v1/containers/" + a).then().statusCode(200);
    }

    /** A container is shown from its stored parts: byte for byte what its rendered tree converted to a record shows. */
    @Test
    void aContainerShowsAsItsRenderedObject() throws Exception {
        registerNode(unique("node"), pool, 2, 2048, "emulated-only", null).then().statusCode(201);
        String placed = unique("c");
        String pending = unique("c");
        json().body(body(placed, "\"cpus\": 0.5,")).post("/v1/containers").then().statusCode(201);
        json().body(body(pending, "\"cpus\": 64,")).post("/v1/containers").then().statusCode(201).body("status.phase", equalTo("Pending"));
        for (String name : new String[] {placed, pending}) {
            String shown = given().get("/v1/containers/" + name).then().statusCode(200).extract().asString();
            var stored = store.find(Container.KIND, "default", name).orElseThrow();
            org.assertj.core.api.Assertions.assertThat(shown)
                    .isEqualTo(mapper.writeValueAsString(mapper.convertValue(store.render(stored), Container.class)));
        }
    }

    @Test
    void badContainerSpecsAreFieldErrors() {
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "Not An Image", "cpus": 0, "env": {"1BAD": "x"}}}"""
                .formatted(unique("bad"))).post("/v1/containers").then().statusCode(400)
                .body("errors.field", hasItem("spec.cpus"));
        // Once the body conforms to the openapi.yaml schema, the rules beyond it, every field at once.
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "Not An Image", "cpus": 1, "env": {"1BAD": "x"}}}"""
                .formatted(unique("bad"))).post("/v1/containers").then().statusCode(400)
                .body("errors.field", hasItem("spec.image"))
                .body("errors.field", hasItem("spec.env"));
    }

    @Test
    void anImportedImageHasWhatItsConfigSays() {
        String name = containerImage("[\"/bin/httpd\", \"-f\"]");
        given().get("/v1/images/" + name).then().statusCode(200)
                .body("spec.container.entrypoint", equalTo(java.util.List.of("/bin/httpd", "-f")))
                .body("spec.container.env", equalTo(java.util.List.of("PATH=/bin")))
                .body("spec.container.user", equalTo("1000:1000"))
                .body("spec.container.layers[0].diffId", org.hamcrest.Matchers.matchesPattern("sha256:[0-9a-f]{64}"))
                .body("spec.container.layers[0].size", org.hamcrest.Matchers.greaterThan(0))
                .body("spec.container.config.size", org.hamcrest.Matchers.greaterThan(0));
    }

    private static String imageBody(String name, String config, String layer, String mediaType) {
        return """
                {"metadata": {"name": "%s"}, "spec": {"container": {"config": {"sha256": "%s"},
                 "layers": [{"sha256": "%s", "mediaType": "%s"}]}}}""".formatted(name, config, layer, mediaType);
    }

    @Test
    void badContainerImagesAreRefusedAndNothingIsCreated() {
        String layer = put("a layer".getBytes());
        String windows = put("""
                {"architecture": "amd64", "os": "windows", "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}""".formatted("cd".repeat(32)).getBytes());
        String twoDiffs = put("""
                {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:%s", "sha256:%s"]}}"""
                .formatted("cd".repeat(32), "ef".repeat(32)).getBytes());
        String plainTar = put("""
                {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}""".formatted("cd".repeat(32)).getBytes());
        String name = unique("bad");
        json().body(imageBody(name, windows, layer, "application/vnd.oci.image.layer.v1.tar+gzip")).post("/v1/images").then().statusCode(422)
                .contentType("application/problem+json").body("detail", containsString("the image is for windows/amd64"));
        json().body(imageBody(name, twoDiffs, layer, "application/vnd.oci.image.layer.v1.tar+gzip")).post("/v1/images").then().statusCode(422)
                .body("detail", containsString("the image has 1 layers but its config lists 2 diff_ids"));
        json().body(imageBody(name, plainTar, layer, "application/vnd.oci.image.layer.v1.tar")).post("/v1/images").then().statusCode(422)
                .body("detail", containsString("its diff_id must be sha256:" + layer));
        json().body(imageBody(name, plainTar, "0".repeat(64), "application/vnd.oci.image.layer.v1.tar+gzip")).post("/v1/images").then()
                .statusCode(422).body("detail", containsString("which was never uploaded"));
        json().body(imageBody(name, plainTar, layer, "application/vnd.oci.image.layer.v1.tar+zstd")).post("/v1/images").then().statusCode(400)
                .body("errors.field", hasItem("spec.container.layers[0].mediaType"));
        given().get("/v1/images/" + name).then().statusCode(404);
    }

    /** An image of one gzip'd layer; its config's diff_id is {@code diffId}, or the tar's own when null. */
    private static io.restassured.response.Response importLayer(String name, byte[] tar, String diffId) {
        String layer = put(TestTars.gzip(tar));
        String config = put("""
                {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                 "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}""".formatted(diffId == null ? TestTars.sha256(tar) : diffId).getBytes());
        return json().body(imageBody(name, config, layer, "application/vnd.oci.image.layer.v1.tar+gzip")).post("/v1/images");
    }

    @Test
    void unsafeLayersAreRefusedAtImportNamingTheLayerAndTheEntry() {
        var file = TestTars.Entry.file("etc/passwd");
        var refused = java.util.Map.of(
                "entry ../../etc/cron.d/x leaves the root file system",
                TestTars.tar(new TestTars.Entry("../../etc/cron.d/x", TarArchiveEntry.LF_NORMAL, null)),
                "symlink etc/evil -> ../../../etc/shadow points outside the root file system",
                TestTars.tar(file, new TestTars.Entry("etc/evil", TarArchiveEntry.LF_SYMLINK, "../../../etc/shadow")),
                "hard link etc/hard -> ../../etc/shadow points outside the root file system",
                TestTars.tar(file, new TestTars.Entry("etc/hard", TarArchiveEntry.LF_LINK, "../../etc/shadow")),
                "device node dev/mem (1:3): layers may not create devices",
                TestTars.tar(file, new TestTars.Entry("dev/mem", TarArchiveEntry.LF_CHR, null)));
        for (var bad : refused.entrySet()) {
            String name = unique("unsafe");
            importLayer(name, bad.getValue(), null).then().statusCode(422).contentType("application/problem+json")
                    .body("detail", containsString("spec.container.layers[0]: layer 0 (blob "))
                    .body("detail", containsString(bad.getKey()))
                    .body("errors.field", hasItem("spec.container.layers[0]"));
            given().get("/v1/images/" + name).then().statusCode(404);
        }
        // A gzip'd layer that does not unpack to its config's diff_id.
        String name = unique("unsafe");
        importLayer(name, TestTars.tar(file), "ab".repeat(32)).then().statusCode(422)
                .body("detail", containsString("not the image config's diff_id sha256:" + "ab".repeat(32)));
        given().get("/v1/images/" + name).then().statusCode(404);
        // The same rules let a real layer's usual entries through: absolute symlinks, hard links to earlier files.
        importLayer(unique("safe"), TestTars.tar(new TestTars.Entry("bin/", TarArchiveEntry.LF_DIR, null),
                TestTars.Entry.file("bin/busybox"), new TestTars.Entry("bin/sh", TarArchiveEntry.LF_SYMLINK, "/bin/busybox"),
                new TestTars.Entry("bin/ls", TarArchiveEntry.LF_LINK, "bin/busybox"),
                new TestTars.Entry("lib/up", TarArchiveEntry.LF_SYMLINK, "../bin")), null)
                .then().statusCode(201);
    }

    @Test
    void aContainerNeedsAnExistingContainerImageThatSaysWhatToRun() {
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "nosuchimage"}}""".formatted(unique("c"))).post("/v1/containers").then()
                .statusCode(422).body("detail", containsString("does not exist in project default: import it first"));
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "%s"}}""".formatted(unique("c"), Api.image())).post("/v1/containers").then()
                .statusCode(422).body("detail", containsString("is a VM image"));
        String silent = containerImage("null");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "%s"}}""".formatted(unique("c"), silent)).post("/v1/containers").then()
                .statusCode(422).body("detail", containsString("says nothing to run (no Entrypoint or Cmd): give spec.command"));
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "%s", "network": "host", "pidsLimit": 0, "workingDir": "tmp"}}"""
                .formatted(unique("c"), silent)).post("/v1/containers").then().statusCode(400)
                .body("errors.field", hasItem("spec.network"))
                .body("errors.field", hasItem("spec.pidsLimit"))
                .body("errors.field", hasItem("spec.workingDir"));
    }

    @Test
    void anAttachedContainerGetsAnAddressOfItsNodesSubnet() {
        String subnet = Api.uniqueSubnet();
        String node = unique("net");
        Api.registerNodeWithSubnet(node, pool, subnet).then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
        String name = unique("c");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "%s", "network": "attached", "nodeSelector": {"pool": "%s"}}}"""
                .formatted(name, image, pool)).post("/v1/containers").then().statusCode(201)
                .body("status.phase", equalTo("Scheduled"))
                .body("status.node", equalTo(node))
                .body("status.network.subnet", equalTo(subnet))
                .body("status.network.ip", org.hamcrest.Matchers.startsWith(subnet.substring(0, subnet.lastIndexOf('.'))));
        given().delete("/v1/containers/" + name).then().statusCode(200);
    }

    @Test
    void logsAndExecNeedAPlacedContainer() {
        String name = unique("c");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"image": "%s", "nodeSelector": {"pool": "%s"}}}"""
                .formatted(name, image, unique("nowhere"))).post("/v1/containers").then().statusCode(201)
                .body("status.phase", equalTo("Pending"));
        given().get("/v1/containers/" + name + "/logs").then().statusCode(409)
                .body("detail", containsString("is not placed on a node yet"));
        json().body("{\"command\": [\"ls\"]}").post("/v1/containers/" + name + "/exec").then().statusCode(409);
        json().body("{\"command\": []}").post("/v1/containers/" + name + "/exec").then().statusCode(400);
        given().delete("/v1/containers/" + name).then().statusCode(200);
    }
}
