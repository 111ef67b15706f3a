package dev.corral.controlplane;

import static dev.corral.controlplane.Api.createVm;
import static dev.corral.controlplane.Api.image;
import static dev.corral.controlplane.Api.unique;
import static dev.corral.controlplane.Api.vmBody;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/**
 * A create reads the Image it names from the control plane's view of images (ImageSpecs), which every change of an
 * Image row must empty of it: through this replica at once, through another (the same SQL on a connection of its
 * own) as soon as PostgreSQL's notification arrives.
 */
@QuarkusTest
class ImageChangesIT {

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
        long deadline = System.nanoTime() + 10_000_000_000L;
        int status;
        do {
            status = createVm(vmBody(unique("vm"), img, 1, 64, "none", null)).statusCode();
            if (status == 422) {
                break;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertThat(status).isEqualTo(422);
    }
}
