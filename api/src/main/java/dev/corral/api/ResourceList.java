package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A page of a list. {@code metadata.continue}, when present, fetches the next page; {@code metadata.resourceVersion}
 * is where a watch started after this list picks up.
 */
public record ResourceList<T>(String apiVersion, String kind, Meta metadata, List<T> items) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Meta(String resourceVersion, @JsonProperty("continue") String continueToken) {
    }
}
