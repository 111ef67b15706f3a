package dev.corral.cli.output;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.corral.cli.client.CorralClient;

/** Writes objects as tables, JSON, YAML or names. */
public final class Printer {

    public enum Format { table, wide, json, yaml, name }

    /** Built on first use: a table or JSON does not load the YAML classes. */
    private static final class Yaml {
        static final YAMLMapper MAPPER = YAMLMapper.builder()
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .build();
    }

    private Printer() {
    }

    public static Format format(String output) {
        if (output == null) {
            return Format.table;
        }
        try {
            return Format.valueOf(output);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown output format '" + output + "': use wide, json, yaml or name");
        }
    }

    /** A table with aligned columns, three spaces apart, like kubectl. */
    public static void table(PrintWriter out, List<Column> columns, List<JsonNode> items, boolean header) {
        var rows = new ArrayList<List<String>>();
        if (header) {
            rows.add(columns.stream().map(Column::header).toList());
        }
        for (var item : items) {
            rows.add(columns.stream().map(c -> c.cell().apply(item)).toList());
        }
        rows(out, rows, "", 3);
        out.flush();
    }

    /** Rows of cells in aligned columns, each line starting with {@code indent}, columns {@code gap} apart. */
    public static void rows(PrintWriter out, List<List<String>> rows, String indent, int gap) {
        int[] widths = new int[rows.isEmpty() ? 0 : rows.getFirst().size()];
        for (var row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (var row : rows) {
            var line = new StringBuilder(indent);
            for (int i = 0; i < row.size(); i++) {
                line.append(row.get(i));
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - row.get(i).length() + gap));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    public static void json(PrintWriter out, JsonNode node) {
        try {
            out.println(CorralClient.JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void yaml(PrintWriter out, JsonNode node) {
        try {
            out.print(Yaml.MAPPER.writeValueAsString(node));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code vm/web-1}: the kind's singular name, a slash, the object's name. */
    public static String name(String singular, JsonNode object) {
        return singular + "/" + (object.has("metadata") ? object.path("metadata").path("name").asText() : object.path("id").asText());
    }
}
