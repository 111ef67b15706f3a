package dev.corral.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A named VM shape. Cluster-scoped. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InstanceType(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public static final String KIND = "InstanceType";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Spec(Integer vcpus, Long memoryMiB, List<DeviceRequest> devices) {
    }
}
