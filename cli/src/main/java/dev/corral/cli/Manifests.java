package dev.corral.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.corral.cli.client.CorralClientException;

/**
 * Reads manifests: YAML or JSON (JSON is YAML), several documents per file separated by {@code ---}, lists
 * ({@code kind: List} or {@code kind: VMList}, as {@code corral get -o yaml} prints them) unrolled into their items.
 */
final class Manifests {

    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

    /** A manifest and where it came from, for messages. */
    record Manifest(JsonNode object, String source) {
    }

    private Manifests() {
    }

    /** {@code -} is standard input; a directory contributes its .yaml, .yml and .json files, sorted. */
    static List<Manifest> read(List<String> files, InputStream stdin) {
        var manifests = new ArrayList<Manifest>();
        for (String f : files) {
            if (f.equals("-")) {
                parse(stdin, "<stdin>", manifests);
                continue;
            }
            Path path = Path.of(f);
            if (Files.isDirectory(path)) {
                try (Stream<Path> entries = Files.list(path)) {
                    for (Path p : entries.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList()) {
                        open(p, manifests);
                    }
                } catch (IOException e) {
                    throw new CorralClientException("cannot read directory " + path + ": " + e.getMessage(), e);
                }
            } else {
                open(path, manifests);
            }
        }
        return manifests;
    }

    private static void open(Path path, List<Manifest> manifests) {
        try (InputStream in = Files.newInputStream(path)) {
            parse(in, path.toString(), manifests);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CorralClientException("no such file: " + path, e);
        } catch (IOException e) {
            throw new CorralClientException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static void parse(InputStream in, String source, List<Manifest> manifests) {
        try (var docs = YAML.readValues(YAML.createParser(in), JsonNode.class)) {
            int n = 0;
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                n++;
                if (doc == null || doc.isNull() || doc.isMissingNode() || (doc.isObject() && doc.isEmpty())) {
                    continue;
                }
                String where = source + " (document " + n + ")";
                if (doc.path("kind").asText().endsWith("List") && doc.path("items").isArray()) {
                    doc.path("items").forEach(item -> manifests.add(new Manifest(item, where)));
                } else {
                    manifests.add(new Manifest(doc, where));
                }
            }
        } catch (IOException e) {
            throw new CorralClientException(source + " is not valid YAML or JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
