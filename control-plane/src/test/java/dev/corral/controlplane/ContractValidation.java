package dev.corral.controlplane;

import java.nio.file.Path;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.RestAssuredRequest;
import com.atlassian.oai.validator.restassured.RestAssuredResponse;
import io.quarkus.test.junit.callback.QuarkusTestBeforeEachCallback;
import io.quarkus.test.junit.callback.QuarkusTestMethodContext;
import io.restassured.RestAssured;
import io.restassured.filter.Filter;
import io.restassured.filter.FilterContext;
import io.restassured.response.Response;
import io.restassured.specification.FilterableRequestSpecification;
import io.restassured.specification.FilterableResponseSpecification;

/**
 * Holds every integration test's HTTP traffic to openapi.yaml: each response must match the contract, and each
 * request the server accepted must be one the contract allows. (Requests the server rejects are the negative
 * tests' point, so those are not held to the contract.) A mismatch fails the test that made the call.
 *
 * <p>Installed for every {@code @QuarkusTest} through the Quarkus test callback service file.
 */
public class ContractValidation implements QuarkusTestBeforeEachCallback, Filter {

    private static final OpenApiInteractionValidator VALIDATOR = OpenApiInteractionValidator
            .createForSpecificationUrl(Path.of("../openapi.yaml").toAbsolutePath().toUri().toString())
            .build();

    @Override
    public void beforeEach(QuarkusTestMethodContext context) {
        if (RestAssured.filters().stream().noneMatch(f -> f instanceof ContractValidation)) {
            RestAssured.filters(new ContractValidation());
        }
    }

    @Override
    public Response filter(FilterableRequestSpecification request, FilterableResponseSpecification responseSpec, FilterContext ctx) {
        Response response = ctx.next(request, responseSpec);
        String path = request.getDerivedPath();
        if (path.startsWith("/q/")) {
            return response;
        }
        var report = VALIDATOR.validateResponse(path, method(request), RestAssuredResponse.of(response));
        if (response.statusCode() < 400) {
            report = report.merge(VALIDATOR.validateRequest(RestAssuredRequest.of(request)));
        }
        if (report.hasErrors()) {
            var messages = new StringBuilder();
            boolean breach = false;
            for (ValidationReport.Message m : report.getMessages()) {
                // A 404 for a path the API does not have is the right answer, not a contract breach.
                boolean unknownPath = response.statusCode() == 404 && m.getKey().endsWith("path.missing");
                if (m.getLevel() == ValidationReport.Level.ERROR && !unknownPath) {
                    messages.append("\n  ").append(m.getKey()).append(": ").append(m.getMessage());
                    breach = true;
                }
            }
            if (!breach) {
                return response;
            }
            String violation = request.getMethod() + " " + path + " -> " + response.statusCode()
                    + " does not match openapi.yaml:" + messages;
            throw new AssertionError(violation);
        }
        return response;
    }

    private static com.atlassian.oai.validator.model.Request.Method method(FilterableRequestSpecification request) {
        return com.atlassian.oai.validator.model.Request.Method.valueOf(request.getMethod().toUpperCase());
    }
}
