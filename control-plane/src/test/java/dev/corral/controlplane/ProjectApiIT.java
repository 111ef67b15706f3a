package dev.corral.controlplane;

import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.unique;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ProjectApiIT {

    @Test
    void defaultProjectExistsAndCannotBeDeleted() {
        given().get("/v1/projects").then().statusCode(200)
                .body("kind", equalTo("ProjectList"))
                .body("items.metadata.name", hasItem("default"));
        given().get("/v1/projects/default").then().statusCode(200).body("kind", equalTo("Project"));
        given().delete("/v1/projects/default").then().statusCode(409).contentType("application/problem+json")
                .body("detail", equalTo("Project 'default' cannot be deleted."));
    }

    @Test
    void aProjectHoldsWorkloadsAndIsDeletedOnlyWhenEmpty() {
        String project = unique("team");
        given().get("/v1/images?project=" + project).then().statusCode(404);
        json().body("""
                {"metadata": {"name": "%s", "labels": {"team": "a"}}, "spec": {"description": "team a"}}""".formatted(project))
                .post("/v1/projects").then().statusCode(201)
                .header("Location", containsString("/v1/projects/" + project))
                .body("metadata.name", equalTo(project))
                .body("spec.description", equalTo("team a"));
        json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(409);

        String sha = given().contentType("application/octet-stream").body(("kernel of " + project).getBytes())
                .post("/v1/blobs").then().statusCode(201).extract().path("sha256");
        String img = unique("img");
        json().body("""
                {"metadata": {"name": "%s"}, "spec": {"kernel": {"sha256": "%s"}}}""".formatted(img, sha))
                .post("/v1/images?project=" + project).then().statusCode(201).body("metadata.project", equalTo(project));
        given().get("/v1/images").then().statusCode(200).body("items.metadata.name", not(hasItem(img)));

        given().delete("/v1/projects/" + project).then().statusCode(409).contentType("application/problem+json")
                .body("detail", containsString("still holds 1 object (Image " + img + ")"));
        given().delete("/v1/images/" + img + "?project=" + project).then().statusCode(200);
        given().delete("/v1/projects/" + project).then().statusCode(200).body("metadata.name", equalTo(project));
        given().get("/v1/images?project=" + project).then().statusCode(404);
        given().get("/v1/projects/" + project).then().statusCode(404);
    }

    @Test
    void aProjectIsReplacedLikeAnyObject() {
        String project = unique("p");
        String etag = json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201)
                .extract().header("ETag");
        json().header("If-Match", etag).body("{\"metadata\": {\"labels\": {\"tier\": \"gold\"}}, \"spec\": {\"description\": \"gold\"}}")
                .put("/v1/projects/" + project).then().statusCode(200)
                .body("metadata.labels.tier", equalTo("gold"))
                .body("spec.description", equalTo("gold"));
        json().header("If-Match", etag).body("{\"spec\": {}}").put("/v1/projects/" + project).then().statusCode(409);
        given().queryParam("labelSelector", "tier=gold").get("/v1/projects").then().statusCode(200).body("items.metadata.name", hasItem(project));
        given().delete("/v1/projects/" + project).then().statusCode(200);
    }
}
