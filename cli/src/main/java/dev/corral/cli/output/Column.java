package dev.corral.cli.output;

import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

/** A table column: its header and how to get the cell from an object. */
public record Column(String header, Function<JsonNode, String> cell) {
}
