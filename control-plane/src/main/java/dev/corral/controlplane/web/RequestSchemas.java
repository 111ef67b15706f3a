package dev.corral.controlplane.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import dev.corral.api.Problem;
import dev.corral.controlplane.problem.FieldPaths;
import dev.corral.controlplane.problem.JsonTypes;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The request body schemas of openapi.yaml, enforced: a body breaking its schema (a string where an integer
 * belongs, a number past its maximum, a kind or apiVersion the schema does not name) is refused before anything
 * reads it, with each broken field named. The bounds live in the contract alone, so the server cannot drift from it.
 */
@ApplicationScoped
public class RequestSchemas {

    /** Where the control plane's jar carries the contract (see control-plane/pom.xml). */
    static final String CONTRACT = "META-INF/openapi.yaml";
    private static final String BASE = "https://corral.dev/openapi.yaml";

    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().pathType(PathType.JSON_PATH).build();
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();
    private final JsonNode contract;

    RequestSchemas() {
        String contract = closed(read());
        this.contract = parse(contract);
        var dialect = OpenApi30.getInstance();
        this.factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4, builder -> builder
                .metaSchema(dialect).defaultMetaSchemaIri(dialect.getIri())
                .schemaLoaders(loaders -> loaders.schemas(Map.of(BASE, contract))));
    }

    /** The schema {@code components/schemas/<name>} of openapi.yaml; fails when the contract has none by that name. */
    JsonSchema schema(String name) {
        return schemas.computeIfAbsent(name, n -> {
            var schema = factory.getSchema(SchemaLocation.of(BASE + "#/components/schemas/" + n), config);
            if (schema.getSchemaNode() == null || schema.getSchemaNode().isMissingNode()) {
                throw new IllegalStateException("openapi.yaml has no schema " + n);
            }
            return schema;
        });
    }

    /** Every way {@code body} breaks schema {@code name}, each naming its field; empty when it conforms. */
    public List<Problem.FieldError> violations(String name, JsonNode body) {
        var found = new ArrayList<Violation>();
        for (ValidationMessage m : schema(name).validate(body)) {
            String field = path(m.getInstanceLocation());
            if ("required".equals(m.getType()) && m.getProperty() != null) {
                found.add(new Violation(3, new Problem.FieldError(FieldPaths.member(field, m.getProperty()), "is required")));
            } else if ("additionalProperties".equals(m.getType()) && m.getProperty() != null) {
                found.add(new Violation(0, new Problem.FieldError(FieldPaths.member(field, m.getProperty()),
                        "is not a field here" + known(m.getSchemaLocation().toString()))));
            } else {
                found.add(new Violation("type".equals(m.getType()) ? 1 : 2, new Problem.FieldError(FieldPaths.orBody(field), message(m))));
            }
        }
        // What was sent before what was left out: an unknown field first (a typo, spec.vcpu, explains the "is
        // required" that comes with it), then wrong types, then broken bounds, then missing fields. One error per
        // field, the most basic: 1.5 for an integer is told it must be an integer, not also that it is too small.
        found.sort(java.util.Comparator.comparingInt(Violation::rank).thenComparing(v -> v.error().field()));
        var seen = new java.util.HashSet<String>();
        var errors = new ArrayList<Problem.FieldError>();
        for (Violation v : found) {
            if (seen.add(v.error().field())) {
                errors.add(v.error());
            }
        }
        return errors;
    }

    private record Violation(int rank, Problem.FieldError error) {
    }

    /** The fields the object's schema lists, for a message about one it does not. */
    private String known(String additionalPropertiesLocation) {
        int hash = additionalPropertiesLocation.indexOf('#');
        if (hash < 0) {
            return "";
        }
        String pointer = additionalPropertiesLocation.substring(hash + 1).replaceFirst("/additionalProperties$", "");
        var names = new java.util.TreeSet<String>();
        contract.at(pointer).path("properties").fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "" : " (known fields: " + String.join(", ", names) + ")";
    }

    private static JsonNode parse(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String path(JsonNodePath location) {
        String path = "";
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            path = element instanceof Integer index ? FieldPaths.element(path, index) : FieldPaths.member(path, element.toString());
        }
        return path;
    }

    /** What is wrong, in the API's words: the expected type and what came instead, or the bound that was broken. */
    private static String message(ValidationMessage m) {
        Object[] args = m.getArguments() == null ? new Object[0] : m.getArguments();
        JsonNode value = m.getInstanceNode();
        return switch (m.getType()) {
            case "type" -> "must be " + JsonTypes.article(String.valueOf(args[1])) + ", not " + JsonTypes.describe(value);
            case "minimum" -> "must be at least " + args[0] + ", not " + value;
            case "maximum" -> "must be at most " + args[0] + ", not " + value;
            case "exclusiveMinimum" -> "must be more than " + args[0] + ", not " + value;
            case "exclusiveMaximum" -> "must be less than " + args[0] + ", not " + value;
            case "enum" -> "must be one of " + String.valueOf(args[0]).replaceAll("[\\[\\]\"]", "").replace(",", ", ")
                    + ", not " + JsonTypes.describe(value);
            case "maxLength" -> "must be at most " + args[0] + " characters long";
            case "minLength" -> "must be at least " + args[0] + " characters long";
            case "maxItems" -> "must have at most " + args[0] + " items";
            case "minItems" -> "must have at least " + args[0] + " items";
            case "maxProperties" -> "must have at most " + args[0] + " entries";
            case "pattern" -> "must match " + args[0] + ", not " + JsonTypes.describe(value);
            default -> {
                // The validator's own sentence starts with the location, which errors[].field already gives.
                String text = m.getMessage();
                int colon = text.indexOf(": ");
                yield colon >= 0 && text.startsWith("$") ? text.substring(colon + 2) : text;
            }
        };
    }

    /**
     * The contract with every object schema closed to fields it does not list ({@code additionalProperties: false}
     * unless it says otherwise), as openapi.yaml promises: an unknown field (a typo such as {@code spec.vcpu}) is a 400,
     * reported with the schema's other violations rather than after them.
     */
    static String closed(String yaml) {
        try {
            var mapper = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            JsonNode contract = mapper.readTree(yaml);
            close(contract.path("components").path("schemas"));
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(contract);
        } catch (IOException e) {
            throw new UncheckedIOException("openapi.yaml cannot be read", e);
        }
    }

    private static void close(JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
            if (object.has("properties") && !object.has("additionalProperties")) {
                object.put("additionalProperties", false);
            }
            object.forEach(RequestSchemas::close);
        } else if (node.isArray()) {
            node.forEach(RequestSchemas::close);
        }
    }

    private static String read() {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(CONTRACT)) {
            if (in == null) {
                throw new IllegalStateException(CONTRACT + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
