package dev.corral.controlplane.web;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.corral.api.Problem;
import dev.corral.controlplane.problem.FieldPaths;
import dev.corral.controlplane.problem.InvalidException;
import dev.corral.controlplane.problem.TooLargeException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

/**
 * Every JSON request body passes here before it is bound to its record: at most {@code corral.api.max-json-body}
 * bytes (413), one JSON value with nothing after it and no key twice in an object (400), and conforming to its
 * openapi.yaml schema (400 naming each field that does not). The schema is the one named like the body's wire type:
 * {@code Vm} for {@link dev.corral.api.Vm}, {@code NodeRegistration} for {@link dev.corral.api.Node.Registration}.
 */
@Provider
public class JsonBodies implements ReaderInterceptor {

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate (?:field|Object property) '(.*)'");

    private final RequestSchemas schemas;
    private final ApiLimits limits;
    /** The mapper's factory with duplicate keys refused: built once (a factory per request was a factory per create). */
    private final JsonFactory strict;
    private final ObjectReader trees;

    JsonBodies(ObjectMapper json, RequestSchemas schemas, ApiLimits limits) {
        this.schemas = schemas;
        this.limits = limits;
        this.strict = json.getFactory().rebuild().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
        // Trailing text is looked for in parse, to say where it starts.
        this.trees = json.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        MediaType type = context.getMediaType();
        if (type == null || !type.isCompatible(MediaType.APPLICATION_JSON_TYPE)
                || !context.getType().getPackageName().equals(dev.corral.api.Vm.class.getPackageName())) {
            return context.proceed();
        }
        long max = limits.maxJsonBody().asLongValue();
        var in = context.getInputStream();
        // A body JsonBodyBuffer read first is copied once at its size; InputStream.readNBytes(n) allocated 16 KiB for it.
        byte[] body = in instanceof ByteArrayInputStream whole && whole.available() <= max ? whole.readAllBytes()
                : in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        if (body.length > max) {
            throw new TooLargeException("The request body is larger than " + max + " bytes, the most a JSON body may be.");
        }
        if (body.length > 0) {
            JsonNode tree = parse(body);
            List<Problem.FieldError> errors = schemas.violations(schemaName(context.getType()), tree);
            if (!errors.isEmpty()) {
                var first = errors.getFirst();
                throw new InvalidException("The request body is invalid: " + first.field() + " " + first.message()
                        + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)." : "."), errors);
            }
        }
        context.setInputStream(new ByteArrayInputStream(body));
        return context.proceed();
    }

    /** {@code Vm} for Vm, {@code NodeRegistration} for Node.Registration. */
    static String schemaName(Class<?> type) {
        return type.getEnclosingClass() == null ? type.getSimpleName()
                : schemaName(type.getEnclosingClass()) + type.getSimpleName();
    }

    /** One JSON value, no key twice in one object, nothing but white space after it. */
    private JsonNode parse(byte[] body) {
        try (JsonParser parser = strict.createParser(body)) {
            JsonNode tree = trees.readTree(parser);
            if (tree == null) {
                throw InvalidException.field("body", "must be a JSON value, not empty");
            }
            var end = parser.currentLocation();
            if (trailing(parser)) {
                throw InvalidException.field("body", "must be one JSON value with nothing after it, but text follows at line "
                        + end.getLineNr() + ", column " + end.getColumnNr());
            }
            return tree;
        } catch (JsonParseException e) {
            String pointer = e.getProcessor() instanceof JsonParser p ? p.getParsingContext().pathAsPointer().toString() : "";
            String field = FieldPaths.fromPointer(pointer);
            var duplicate = DUPLICATE.matcher(e.getOriginalMessage());
            if (duplicate.find()) {
                String name = duplicate.group(1);
                if (!field.endsWith(name)) {
                    field = FieldPaths.member(field, name);
                }
                throw InvalidException.field(field, "appears twice; each key may appear once");
            }
            var at = e.getLocation();
            throw InvalidException.field(FieldPaths.orBody(field), "is not valid JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
                    + firstSentence(e.getOriginalMessage()));
        } catch (IOException e) {
            throw InvalidException.field("body", "could not be read as JSON");
        }
    }

    private static boolean trailing(JsonParser parser) {
        try {
            return parser.nextToken() != null;
        } catch (IOException notJson) {
            return true;
        }
    }

    private static String firstSentence(String message) {
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }
}
