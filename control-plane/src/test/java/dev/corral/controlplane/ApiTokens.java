package dev.corral.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback;
import io.quarkus.test.junit.callback.QuarkusTestMethodContext;
import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;

/**
 * Every integration test calls the API as the test control plane's bootstrap admin (the token it wrote to
 * target/admin-token on start-up) unless it says otherwise: a request's own Authorization header replaces it.
 *
 * <p>Installed for every {@code @QuarkusTest} through the Quarkus test callback service file.
 */
public class ApiTokens implements QuarkusTestBeforeEachCallback {

    static final Path ADMIN_TOKEN_FILE = Path.of("target/admin-token");

    /** The bootstrap admin token of the control plane under test. */
    static String admin() {
        try {
            return Files.readString(ADMIN_TOKEN_FILE).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("the control plane under test wrote no " + ADMIN_TOKEN_FILE, e);
        }
    }

    @Override
    public void beforeEach(QuarkusTestMethodContext context) {
        if (RestAssured.filters().stream().noneMatch(f -> f instanceof AsAdmin)) {
            RestAssured.filters(new AsAdmin());
        }
    }

    /** Adds the admin's token to a request that carries no Authorization header of its own. */
    private static final class AsAdmin implements Filter {
        @Override
        public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification response, FilterContext ctx) {
            if (!request.getHeaders().hasHeaderWithName("Authorization")) {
                request.header("Authorization", "Bearer " + admin());
            }
            return ctx.next(request, response);
        }
    }
}
