package dev.corral.controlplane;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.startsWith;

import java.sql.SQLException;

import javax.sql.DataSource;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ControlPlaneStartupIT {

    @Inject
    DataSource dataSource;

    @Test
    void healthReportsTheRealDatabaseAndKafkaUp() {
        given().when().get("/q/health")
                .then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems("Database connections health check", "Kafka connection health check"))
                .body("checks.find { it.name == 'Kafka connection health check' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'Database connections health check' }.status", equalTo("UP"));
    }

    @Test
    void flywayMigratedTheSchemaIntoPostgres() throws SQLException {
        try (var c = dataSource.getConnection();
             var s = c.createStatement();
             var rs = s.executeQuery("SELECT name, version() FROM project")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("default");
            assertThat(rs.getString(2)).startsWith("PostgreSQL");
        }
    }

    @Test
    void versionAnswersUnderV1() {
        given().when().get("/v1/version")
                .then().statusCode(200)
                .body("apiVersion", equalTo("corral/v1"))
                .body("version", startsWith("0."));
    }

    @Test
    void unknownPathIsProblemJson() {
        given().when().get("/v1/no-such-thing")
                .then().statusCode(404)
                .contentType("application/problem+json")
                .body("status", equalTo(404))
                .body("title", equalTo("Not Found"))
                .body("instance", equalTo("/v1/no-such-thing"));
    }

    @Test
    void servedOpenApiIsTheContractFile() throws Exception {
        String served = given().when().get("/q/openapi?format=yaml").then().statusCode(200).extract().asString();
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        var contract = yaml.readTree(java.nio.file.Path.of("../openapi.yaml").toFile());
        var servedTree = yaml.readTree(served);
        assertThat(servedTree.get("paths")).isEqualTo(contract.get("paths"));
        assertThat(servedTree.get("components").get("schemas")).isEqualTo(contract.get("components").get("schemas"));
    }
}
