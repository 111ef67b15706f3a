package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.json;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.util.function.IntSupplier;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * What a replica keeps in memory of the rows requests read (the Image a create names, ImageSpecs; the project a
 * request names, ProjectService; tokens are TokenApiIT's) must go with every change of those rows: through this
 * replica at once, through another (the same SQL on a connection of its own) as soon as PostgreSQL's notification
 * arrives. Each test reads the row more than once first, so that it is kept.
 */
@QuarkusTest
class CachedRowsIT {

    @Inject
    DataSource dataSource;

    @Test
    void anImageDeletedThroughThisReplicaIsGoneForTheNextCreate() {
        String img = image();
        createVm(vmBody(unique("vm"), img, 1, 64, "none", null)).then().statusCode(201);
        createVm(vmBody(unique("vm"), img, 1, 64, "none", null)).then().statusCode(201);
        given().delete("/v1/images/" + img).then().statusCode(200);
        createVm(vmBody(unique("vm"), img, 1, 64, "none", null)).then().statusCode(422)
                .body("detail", equalTo("spec.image names Image '" + img + "', which does not exist in project default."));
    }

    @Test
    void anImageDeletedElsewhereIsGoneHereAsSoonAsTheDatabaseNotifiesTheChange() throws Exception {
        String img = image();
        for (int i = 0; i < 3; i++) { // read from the table once, then from the view
            createVm(vmBody(unique("vm"), img, 1, 64, "none", null)).then().statusCode(201);
        }
        try (var c = dataSource.getConnection();
                var s = c.prepareStatement("DELETE FROM resource WHERE kind = 'Image' AND project = 'default' AND name = ?")) {
            s.setString(1, img);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        assertThat(within(() -> createVm(vmBody(unique("vm"), img, 1, 64, "none", null)).statusCode(), 422)).isEqualTo(422);
    }

    @Test
    void aProjectDeletedThroughThisReplicaIsGoneForTheNextRequest() {
        String project = unique("gone");
        json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201);
        for (int i = 0; i < 3; i++) {
            given().get("/v1/vms?project=" + project).then().statusCode(200);
        }
        given().delete("/v1/projects/" + project).then().statusCode(200);
        given().get("/v1/vms?project=" + project).then().statusCode(404)
                .body("detail", containsString(project));
    }

    @Test
    void aProjectDeletedElsewhereIsGoneHereAsSoonAsTheDatabaseNotifiesTheChange() throws Exception {
        String project = unique("gone");
        json().body("{\"metadata\": {\"name\": \"" + project + "\"}}").post("/v1/projects").then().statusCode(201);
        for (int i = 0; i < 3; i++) {
            given().get("/v1/vms?project=" + project).then().statusCode(200);
        }
        try (var c = dataSource.getConnection(); var s = c.prepareStatement("DELETE FROM project WHERE name = ?")) {
            s.setString(1, project);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        assertThat(within(() -> given().get("/v1/vms?project=" + project).statusCode(), 404)).isEqualTo(404);
    }

    /** The status {@code request} answers once it is {@code wanted}, or after 10 s: the notification is asynchronous. */
    private static int within(IntSupplier request, int wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            status = request.getAsInt();
            if (status == wanted) {
                return status;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return status;
    }
}
