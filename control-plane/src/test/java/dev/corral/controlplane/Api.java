package dev.corral.controlplane;

import static io.restassured.RestAssured.given;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Predicate;

import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * What the integration tests do over HTTP, as a user would. Every name is unique per call so tests sharing one
 * control plane and database never see each other's objects; nodes carry a per-test label that the test's
 * workloads select, so scheduling stays within the test's own nodes.
 */
final class Api {

    private Api() {
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static RequestSpecification json() {
        return given().contentType("application/json");
    }

    /** Registers a node labelled {@code pool=<pool>}. */
    static Response registerNode(String name, String pool, int vcpus, long memoryMiB, String accelerator, String devicesJson) {
        return json().body("""
                {"labels": {"pool": "%s"}, "accelerator": "%s", "capacity": {"vcpus": %d, "memoryMiB": %d, "numaNodes": 2},
                 "devices": %s}""".formatted(pool, accelerator, vcpus, memoryMiB, devicesJson == null ? "[]" : devicesJson))
                .put("/v1/nodes/" + name);
    }

    /** Registers a node labelled {@code pool=<pool>} whose agent answers at {@code agentEndpoint} (null: none). */
    static Response registerNodeWithAgent(String name, String pool, String agentEndpoint) {
        return json().body("""
                {"labels": {"pool": "%s"}, "accelerator": "kvm-hardware", "capacity": {"vcpus": 4, "memoryMiB": 8192}%s}"""
                .formatted(pool, agentEndpoint == null ? "" : ", \"agentEndpoint\": \"" + agentEndpoint + "\""))
                .put("/v1/nodes/" + name);
    }

    /** Registers a node labelled {@code pool=<pool>} whose VM network is {@code subnet} (CIDR). */
    static Response registerNodeWithSubnet(String name, String pool, String subnet) {
        return json().body("""
                {"labels": {"pool": "%s"}, "accelerator": "kvm-hardware", "capacity": {"vcpus": 16, "memoryMiB": 16384},
                 "subnet": "%s"}""".formatted(pool, subnet))
                .put("/v1/nodes/" + name);
    }

    /** A /29 no other test uses: 10.A.B.8*k/29, from a random 16-bit number and a 5-bit one. */
    static String uniqueSubnet() {
        var r = new java.security.SecureRandom();
        return "10." + r.nextInt(256) + "." + r.nextInt(256) + "." + (8 * r.nextInt(32)) + "/29";
    }

    /** Uploads {@code content} and returns its sha256. */
    static String upload(byte[] content) {
        return given().contentType("application/octet-stream").body(content).post("/v1/blobs").then().statusCode(201)
                .extract().path("sha256");
    }

    static String gpu(String address, int numaNode, int iommuGroup) {
        return """
                {"address": "%s", "vendor": "10de", "device": "2330", "classCode": "0302", "numaNode": %d, "iommuGroup": %d, "driver": "vfio-pci"}"""
                .formatted(address, numaNode, iommuGroup);
    }

    /** An uploaded kernel blob and an image using it; returns the image name. */
    static String image() {
        String name = unique("img");
        String sha = given().contentType("application/octet-stream").body(("kernel of " + name).getBytes())
                .post("/v1/blobs").then().statusCode(201).extract().path("sha256");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"kernel": {"sha256": "%s"}, "cmdline": "console=ttyS0"}}""".formatted(name, sha))
                .post("/v1/images").then().statusCode(201);
        return name;
    }

    /** Uploads {@code content} (200 when it is there already) and returns its sha256. */
    static String put(byte[] content) {
        return given().contentType("application/octet-stream").body(content).post("/v1/blobs").then()
                .statusCode(org.hamcrest.Matchers.oneOf(200, 201)).extract().path("sha256");
    }

    /** A container image of one gzip'd layer (one file, bin/hello) and a config; returns the Image's name. */
    static String containerImage(String entrypointJson) {
        String name = unique("ctimg");
        byte[] tar = TestTars.tar(TestTars.Entry.file("bin/hello-" + name));
        String layer = put(TestTars.gzip(tar));
        String config = put(("""
                {"architecture": "amd64", "os": "linux", "config": {"Entrypoint": %s, "Env": ["PATH=/bin"], "User": "1000:1000"},
                 "rootfs": {"type": "layers", "diff_ids": ["sha256:%s"]}}""".formatted(entrypointJson, TestTars.sha256(tar))).getBytes());
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"container": {"config": {"sha256": "%s"},
                 "layers": [{"sha256": "%s", "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}]}}}"""
                .formatted(name, config, layer)).post("/v1/images").then().statusCode(201);
        return name;
    }

    static String vmBody(String name, String image, int vcpus, long memoryMiB, String pool, String extraSpec) {
        return """
                {"metadata": {"name": "%s", "labels": {"app": "test"}},
                 "spec": {"image": "%s", "vcpus": %d, "memoryMiB": %d, "nodeSelector": {"pool": "%s"}%s}}"""
                .formatted(name, image, vcpus, memoryMiB, pool, extraSpec == null ? "" : ", " + extraSpec);
    }

    static Response createVm(String body) {
        return json().body(body).post("/v1/vms");
    }

    static JsonPath getVm(String name) {
        return given().get("/v1/vms/" + name).then().statusCode(200).extract().jsonPath();
    }

    /** Polls the VM until {@code condition} holds; fails after the timeout with the last state seen. */
    static JsonPath awaitVm(String name, Duration timeout, Predicate<JsonPath> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonPath last = null;
        while (System.nanoTime() < deadline) {
            last = getVm(name);
            if (condition.test(last)) {
                return last;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("VM " + name + " did not reach the expected state within " + timeout + "; last: "
                + (last == null ? "none" : last.prettify()));
    }
}
