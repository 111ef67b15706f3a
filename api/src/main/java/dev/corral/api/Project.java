package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/** What workloads, images, events and usage belong to. Cluster-scoped; {@code default} always exists. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Project(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public static final String KIND = "Project";
    public static final String DEFAULT = "default";

    /** @param description what the project is for, for people; optional */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(String description) {
    }
}
